# benchplan's image, for `benchplan k8s` (docs/kubernetes.md) or any
# container runtime. Multi-stage: the build stage compiles the release
# binary with the locked dependencies; the runtime stage is Debian slim with
# the binary, CA certificates and sh (the Jobs' scripts), run as an
# unprivileged user.
#
#   docker build -t registry.example/benchplan:0.1.0 .
#
# Build for fewer kinds with e.g. --build-arg FEATURES="--no-default-features --features postgres".

FROM rust:1-slim-bookworm AS build
ARG FEATURES=""
WORKDIR /src
COPY . .
RUN cargo build --release --locked ${FEATURES} \
    && cp target/release/benchplan /benchplan

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /benchplan /usr/local/bin/benchplan
# The uid the manifests run as (runAsUser / fsGroup 65532).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["benchplan"]
CMD ["--help"]
