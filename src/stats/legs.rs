//! The legs of a `serial` or `parallel` read (one statement or call per
//! table): which one was the slowest, by table and, for legs sent one after
//! another, by position; and how long each entity took.

/// Entities whose leg times are kept per request: the first this many of
/// the dataset (summary.md says when a dataset has more).
pub const LEG_ENTITIES: usize = 16;

/// How the legs of one request went. Fixed size, so recording it
/// allocates nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Legs {
    /// Whether the legs were timed (serial and parallel reads).
    pub timed: bool,
    /// The dataset table of the slowest leg.
    pub slowest: u32,
    slowest_ns: u64,
    /// Per entity index: its legs' time (serial: their sum; parallel: the longest).
    pub entity_ns: [u64; LEG_ENTITIES],
    /// Bit e: entity e had a leg.
    pub entities: u16,
    /// Legs so far, in the order they were sent.
    count: u16,
    /// The position (from 0) of the slowest leg, and the table of the first.
    slowest_at: u16,
    first: u32,
    /// Some legs ran at the same time (a parallel read, or steps issued
    /// together): their positions say nothing.
    overlapped: bool,
}

impl Legs {
    /// Adds one leg: `ns` its time (serial) or its end since the request's start (parallel).
    #[inline]
    pub fn leg(&mut self, table: usize, entity: usize, ns: u64, parallel: bool) {
        if !self.timed {
            self.first = table as u32;
        }
        self.timed = true;
        self.overlapped |= parallel;
        if ns >= self.slowest_ns {
            self.slowest_ns = ns;
            self.slowest = table as u32;
            self.slowest_at = self.count;
        }
        self.count = self.count.saturating_add(1);
        if entity < LEG_ENTITIES {
            let e = &mut self.entity_ns[entity];
            *e = if parallel { (*e).max(ns) } else { *e + ns };
            self.entities |= 1 << entity;
        }
    }

    /// Adds the legs of another step of the same request: the slowest leg
    /// of both; per entity, the sum of the two (steps one after another) or
    /// the longer (steps issued together).
    #[inline]
    pub fn absorb(&mut self, other: &Legs, concurrent: bool) {
        if !other.timed {
            return;
        }
        if !self.timed {
            self.first = other.first;
        }
        self.overlapped |= other.overlapped || (concurrent && self.timed);
        if !self.timed || other.slowest_ns >= self.slowest_ns {
            self.slowest_ns = other.slowest_ns;
            self.slowest = other.slowest;
            self.slowest_at = self.count.saturating_add(other.slowest_at);
        }
        self.count = self.count.saturating_add(other.count);
        self.timed = true;
        for e in 0..LEG_ENTITIES {
            if other.entities & (1 << e) != 0 {
                let (a, b) = (self.entity_ns[e], other.entity_ns[e]);
                self.entity_ns[e] = if concurrent { a.max(b) } else { a + b };
            }
        }
        self.entities |= other.entities;
    }

    /// For legs sent one after another: (their number, the position of the
    /// slowest from 0, the table of the first). None when untimed or when
    /// some legs overlapped.
    pub fn serial(&self) -> Option<(u16, u16, u32)> {
        (self.timed && !self.overlapped).then_some((self.count, self.slowest_at, self.first))
    }
}

/// Requests whose legs went one after another, grouped by their number of
/// legs: how often the leg at each position was the slowest. A serial read
/// sends its tables in a fixed order, so a table's slowest count mixes what
/// the table costs with what its position costs; this tells them apart.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SerialPositions {
    /// (legs per request, the table of the first leg or None when it
    /// varied, requests whose slowest leg was at each position). Usually
    /// one group: a phase's serial read always has the same tables.
    pub groups: Vec<(u16, Option<u32>, Vec<u64>)>,
}

impl SerialPositions {
    /// Records one request's legs (nothing unless they were serial).
    #[inline]
    pub fn record(&mut self, legs: &Legs) {
        let Some((n, at, first)) = legs.serial() else { return };
        let i = match self.groups.iter().position(|g| g.0 == n) {
            Some(i) => i,
            None => {
                self.groups.push((n, Some(first), vec![0; usize::from(n)]));
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        if g.1 != Some(first) {
            g.1 = None;
        }
        if let Some(c) = g.2.get_mut(usize::from(at)) {
            *c += 1;
        }
    }

    /// Adds another worker's counts.
    pub fn merge(&mut self, other: &SerialPositions) {
        for (n, first, counts) in &other.groups {
            match self.groups.iter_mut().find(|g| g.0 == *n) {
                Some(g) => {
                    if g.1 != *first {
                        g.1 = None;
                    }
                    for (a, b) in g.2.iter_mut().zip(counts) {
                        *a += b;
                    }
                }
                None => self.groups.push((*n, *first, counts.clone())),
            }
        }
        self.groups.sort_by_key(|g| g.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_legs_know_the_position_of_the_slowest() {
        let mut l = Legs::default();
        for (t, ns) in [(3, 50), (4, 20), (5, 10)] {
            l.leg(t, 0, ns, false);
        }
        assert_eq!(l.serial(), Some((3, 0, 3)));
        assert_eq!(l.slowest, 3);
        // Another step after it: positions go on.
        let mut m = Legs::default();
        m.leg(7, 0, 5, false);
        m.leg(8, 0, 90, false);
        l.absorb(&m, false);
        assert_eq!((l.serial(), l.slowest), (Some((5, 4, 3)), 8));
        // Steps issued together, or a parallel read: no positions.
        let mut c = l;
        c.absorb(&m, true);
        assert_eq!(c.serial(), None);
        let mut p = Legs::default();
        p.leg(1, 0, 5, true);
        assert_eq!(p.serial(), None);
        assert_eq!(Legs::default().serial(), None);
    }

    #[test]
    fn positions_group_by_leg_count_and_merge() {
        let legs = |times: &[u64], first: usize| {
            let mut l = Legs::default();
            for (i, ns) in times.iter().enumerate() {
                l.leg(first + i, 0, *ns, false);
            }
            l
        };
        let mut a = SerialPositions::default();
        a.record(&legs(&[9, 1, 1], 0));
        a.record(&legs(&[1, 9, 1], 0));
        a.record(&legs(&[9, 1], 0));
        let mut b = SerialPositions::default();
        b.record(&legs(&[9, 1, 1], 0));
        b.record(&legs(&[1, 1, 9], 3));
        a.merge(&b);
        assert_eq!(a.groups, vec![(2, Some(0), vec![1, 0]), (3, None, vec![2, 1, 1])]);
    }
}
