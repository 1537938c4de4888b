//! Key distributions. A draw returns a *rank* (0 = most popular) and the key
//! index it maps to; hot ranks are spread over the key space by a seeded
//! affine permutation, never the first keys.

use crate::dataset::mix64;
use crate::scenario::model::{Distribution, KeySpec, DEFAULT_HOT_KEYS, DEFAULT_HOT_TRAFFIC, DEFAULT_THETA};

/// A small, fast PRNG (SplitMix64); one per request, seeded from the request index.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[inline]
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// x -> (a*x + b) mod n with gcd(a, n) = 1: a bijection on [0, n).
#[derive(Debug, Clone)]
pub struct Permutation {
    n: u64,
    a: u64,
    b: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Permutation {
    pub fn new(n: u64, seed: u64) -> Self {
        if n <= 2 {
            return Permutation { n: n.max(1), a: 1, b: 0 };
        }
        // A multiplier near n * golden ratio spreads neighbours far apart.
        let mut a = ((n as f64 * 0.618_033_988_7) as u64 + mix64(seed) % (n / 7 + 1)) % n;
        a = a.max(2);
        while gcd(a, n) != 1 {
            a = if a + 1 >= n { 2 } else { a + 1 };
        }
        Permutation { n, a, b: mix64(seed ^ 0x5bd1_e995) % n }
    }

    #[inline]
    pub fn apply(&self, x: u64) -> u64 {
        ((u128::from(self.a) * u128::from(x) + u128::from(self.b)) % u128::from(self.n)) as u64
    }
}

/// Zipf sampling by rejection-inversion (Hoermann and Derflinger, as in
/// Apache Commons RNG): rank r (0-based) has probability proportional to
/// 1 / (r+1)^theta, exactly, in O(1) time and memory for any key count.
#[derive(Debug, Clone)]
pub struct Zipf {
    n: u64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    s_val: f64,
}

/// zeta(n, theta) = sum_{i=1..n} 1/i^theta: the law's normaliser (O(n), for tests).
pub fn zeta(n: u64, theta: f64) -> f64 {
    (1..=n).map(|i| 1.0 / (i as f64).powf(theta)).sum()
}

/// (exp(x) - 1) / x, accurate near 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

/// ln(1 + x) / x, accurate near 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

impl Zipf {
    pub fn new(n: u64, theta: f64) -> Self {
        let n = n.max(1);
        let mut z = Zipf { n, s: theta, h_integral_x1: 0.0, h_integral_n: 0.0, s_val: 0.0 };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(n as f64 + 0.5);
        z.s_val = 2.0 - z.h_integral_inverse(z.h_integral(2.5) - z.h(2.0));
        z
    }

    fn h(&self, x: f64) -> f64 {
        (-self.s * x.ln()).exp()
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        helper2((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.s)).max(-1.0);
        (helper1(t) * x).exp()
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_integral_n + rng.next_f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = ((x + 0.5) as u64).clamp(1, self.n);
            let kf = k as f64;
            if kf - x <= self.s_val || u >= self.h_integral(kf + 0.5) - self.h(kf) {
                return k - 1;
            }
        }
    }
}

/// Default fraction of the key space counted as "hot" for distributions
/// without an explicit hot set (uniform, zipfian, latest, sequential).
pub const DEFAULT_HOT_FRACTION: f64 = 0.01;

#[derive(Debug, Clone)]
enum Kind {
    Uniform,
    Zipf(Zipf),
    Hotspot { traffic: f64 },
    Sequential,
    Latest(Zipf),
}

/// Draws keys of one entity for one phase.
#[derive(Debug, Clone)]
pub struct KeyChooser {
    n: u64,
    hot_n: u64,
    kind: Kind,
    perm: Permutation,
}

/// One draw: the key index and whether it is a hot key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    pub idx: u64,
    pub rank: u64,
    pub hot: bool,
}

impl KeyChooser {
    pub fn new(spec: &KeySpec, n: u64, seed: u64) -> Self {
        let n = n.max(1);
        let theta = spec.theta.unwrap_or(DEFAULT_THETA);
        let hot_fraction = match spec.distribution {
            Distribution::Hotspot => spec.hot_keys.unwrap_or(DEFAULT_HOT_KEYS),
            _ => DEFAULT_HOT_FRACTION,
        };
        let hot_n = ((n as f64 * hot_fraction).round() as u64).clamp(1, n);
        let kind = match spec.distribution {
            Distribution::Uniform => Kind::Uniform,
            Distribution::Zipfian => Kind::Zipf(Zipf::new(n, theta)),
            Distribution::Hotspot => Kind::Hotspot { traffic: spec.hot_traffic.unwrap_or(DEFAULT_HOT_TRAFFIC) },
            Distribution::Sequential => Kind::Sequential,
            Distribution::Latest => Kind::Latest(Zipf::new(n, theta)),
        };
        KeyChooser { n, hot_n, kind, perm: Permutation::new(n, seed) }
    }

    pub fn hot_keys(&self) -> u64 {
        self.hot_n
    }

    /// Draws one key; `seq` is the position in the sequence (for `sequential`).
    #[inline]
    pub fn draw(&self, rng: &mut Rng, seq: u64) -> Draw {
        let rank = match &self.kind {
            Kind::Uniform => rng.below(self.n),
            Kind::Zipf(z) | Kind::Latest(z) => z.sample(rng),
            Kind::Hotspot { traffic } => {
                let hot = rng.next_f64() < *traffic;
                if hot || self.hot_n >= self.n {
                    rng.below(self.hot_n)
                } else {
                    self.hot_n + rng.below(self.n - self.hot_n)
                }
            }
            Kind::Sequential => seq % self.n,
        };
        let idx = match &self.kind {
            // The most recent keys are the highest indices.
            Kind::Latest(_) => self.n - 1 - rank,
            Kind::Sequential => rank,
            _ => self.perm.apply(rank),
        };
        Draw { idx, rank, hot: rank < self.hot_n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(d: Distribution) -> KeySpec {
        KeySpec { distribution: d, ..Default::default() }
    }

    #[test]
    fn hotspot_sends_hot_traffic_to_hot_keys_spread_over_the_space() {
        let s = KeySpec {
            distribution: Distribution::Hotspot,
            hot_keys: Some(0.01),
            hot_traffic: Some(0.8),
            theta: None,
            ..Default::default()
        };
        let c = KeyChooser::new(&s, 100_000, 42);
        assert_eq!(c.hot_keys(), 1000);
        let mut hot = 0u64;
        let mut hot_idx = std::collections::HashSet::new();
        let draws = 200_000u64;
        for i in 0..draws {
            let mut rng = Rng::new(mix64(i));
            let d = c.draw(&mut rng, i);
            if d.hot {
                hot += 1;
                hot_idx.insert(d.idx);
            }
        }
        let share = hot as f64 / draws as f64;
        assert!((share - 0.8).abs() <= 0.02, "hot share {share}");
        assert!(hot_idx.len() <= 1000);
        // Not the first keys: hot keys reach into every tenth of the key space.
        let mut deciles = [0u32; 10];
        for i in &hot_idx {
            deciles[(*i / 10_000) as usize] += 1;
        }
        assert!(deciles.iter().all(|&d| d > 50), "hot keys clustered: {deciles:?}");
    }

    #[test]
    fn zipfian_rank_frequencies_follow_the_law() {
        let n = 10_000;
        let c = KeyChooser::new(&KeySpec { theta: Some(0.99), ..spec(Distribution::Zipfian) }, n, 7);
        let zn = zeta(n, 0.99);
        let law = |r: u64| 1.0 / ((r + 1) as f64).powf(0.99) / zn;
        let draws = 1_000_000u64;
        let mut counts = vec![0u64; n as usize];
        for i in 0..draws {
            let mut rng = Rng::new(mix64(i ^ 0xabc));
            counts[c.draw(&mut rng, i).rank as usize] += 1;
        }
        for r in [0u64, 1, 2, 3, 9, 99, 999] {
            let expected = law(r) * draws as f64;
            let got = counts[r as usize] as f64;
            // Within 5 standard deviations of a binomial count (and 10 %).
            let tolerance = (5.0 * expected.sqrt()).max(expected * 0.02);
            assert!((got - expected).abs() <= tolerance, "rank {r}: got {got}, expected {expected:.0}");
        }
        // The tail as a whole: ranks 1000.. get what the law gives them.
        let tail: u64 = counts[1000..].iter().sum();
        let expected_tail: f64 = (1000..n).map(law).sum::<f64>() * draws as f64;
        assert!((tail as f64 - expected_tail).abs() / expected_tail < 0.01, "tail {tail} vs {expected_tail:.0}");
        // Popular ranks are not the first indices.
        let mut rng = Rng::new(1);
        assert_ne!(c.draw(&mut rng, 0).idx, 0);
    }

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 3, 10, 97, 1000, 4096] {
            let p = Permutation::new(n, 9);
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = p.apply(x) as usize;
                assert!(!seen[y]);
                seen[y] = true;
            }
        }
    }

    #[test]
    fn uniform_sequential_latest_stay_in_range() {
        for d in [Distribution::Uniform, Distribution::Sequential, Distribution::Latest] {
            let c = KeyChooser::new(&spec(d), 50, 3);
            for i in 0..1000 {
                let mut rng = Rng::new(i);
                assert!(c.draw(&mut rng, i).idx < 50);
            }
        }
        let c = KeyChooser::new(&spec(Distribution::Sequential), 5, 3);
        let mut rng = Rng::new(0);
        let seq: Vec<u64> = (0..7).map(|i| c.draw(&mut rng, i).idx).collect();
        assert_eq!(seq, vec![0, 1, 2, 3, 4, 0, 1]);
        let c = KeyChooser::new(&spec(Distribution::Latest), 1000, 3);
        let mut high = 0;
        for i in 0..1000 {
            let mut rng = Rng::new(mix64(i));
            if c.draw(&mut rng, i).idx >= 900 {
                high += 1;
            }
        }
        assert!(high > 500, "latest favours recent keys: {high}");
    }
}
