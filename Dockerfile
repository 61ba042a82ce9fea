# syntax=docker/dockerfile:1
# reservation-server container image, built in two stages:
#   1. build: the Swift toolchain compiles a release binary with the Swift runtime linked in
#      statically (--static-swift-stdlib), so the runtime image needs no Swift libraries;
#   2. runtime: slim Debian with libsqlite3, running the binary as a fixed non-root user.
#
#   docker build -t reservation-server .
#   docker run --rm -p 8010:8010 -v reservation-data:/data reservation-server          # demo data
#   docker run --rm -p 8010:8010 -v reservation-data:/data reservation-server --log-level debug
#
# The default toolchain is the one the test suite runs with; override it with
# --build-arg SWIFT_VERSION=6.x (any 6.x that has a -bookworm image and compiles the sources).
ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names every target, test targets included, and SwiftPM checks that each target's
# directory exists when it loads the package, so Tests/ is copied too (nothing in it is compiled).
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product reservation-server --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/reservation-server" /out/reservation-server \
    && strip /out/reservation-server

FROM debian:bookworm-slim AS runtime
# libsqlite3-0 is the only library the binary needs beyond libc, libstdc++ and libgcc_s,
# which the slim image already has; ca-certificates is for outbound TLS should it ever be needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 reservation \
    && useradd --system --uid 10001 --gid reservation --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin reservation \
    && install -d -o reservation -g reservation -m 0750 /data
COPY --from=build /out/reservation-server /usr/local/bin/reservation-server

ENV SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8010 \
    DB_PATH=/data/reservations.db
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8010
USER 10001:10001

# Ready means 200 from the readiness endpoint (503 during start-up recovery and while draining).
# The slim image has no curl, so bash's /dev/tcp sends the request and the status line is read back.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SERVER_PORT:-8010} && printf 'GET /actuator/health/readiness HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 2 status <&3 && [[ $status == *' 200 '* ]]"]

# SIGTERM makes the server turn unready, finish in-flight requests, commit and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/reservation-server"]
CMD ["--demo"]
