# The admission webhook's image: built in a Rust stage, run on distroless (glibc,
# no shell, no package manager) as a non-root numeric user.
#
#   make webhook/image      # docker build -t flink-autoscale-webhook:<crate version> .
#   make kind/load          # load it into the Makefile's kind cluster

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# Manifests first, so dependency builds are cached across source edits.
COPY Cargo.toml Cargo.lock ./
COPY rules rules
COPY webhook webhook
COPY plugin plugin
COPY tests tests
COPY bench bench
ARG GIT_COMMIT=unknown
ENV FLINK_GUARD_GIT_COMMIT=${GIT_COMMIT}
RUN cargo build --release --locked -p flink-autoscale-webhook \
 && install -D -m 0755 target/release/flink-autoscale-webhook /out/flink-autoscale-webhook

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.1.0
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.title="flink-autoscale-webhook" \
      org.opencontainers.image.description="Admission webhook for Flink autoscaler settings and VPA/HPA ownership" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/flink-autoscale-guard"
COPY --from=build /out/flink-autoscale-webhook /usr/local/bin/flink-autoscale-webhook
# 65532 is distroless' "nonroot"; numeric, so runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/usr/local/bin/flink-autoscale-webhook"]
CMD ["--listen", "0.0.0.0:8443", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key"]
