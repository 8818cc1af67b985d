# syntax=docker/dockerfile:1
# kensa in a container: a static (musl) binary on distroless, run as a non-root user.
#
#   docker build -t kensa .                                  # from source
#   docker run --rm -v "$PWD:/src" kensa iac /src            # scan the current directory
#
# The release workflow builds the `release` stage instead, from the static binaries it has
# already built and verified (no compiler in the image build, both architectures on one
# runner).

FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev gcc g++ make perl
WORKDIR /build
COPY . .
RUN cargo build --release --locked && cp target/release/kensa /kensa

FROM gcr.io/distroless/static-debian12:nonroot AS release
ARG TARGETARCH
COPY --chmod=0755 dist/linux-${TARGETARCH}/kensa /usr/local/bin/kensa
WORKDIR /src
USER nonroot
ENTRYPOINT ["/usr/local/bin/kensa"]
CMD ["--help"]

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build --chmod=0755 /kensa /usr/local/bin/kensa
WORKDIR /src
USER nonroot
ENTRYPOINT ["/usr/local/bin/kensa"]
CMD ["--help"]
