# Sportello bot backend: `docker build -t sportello .` then
#   docker run -p 8080:8080 -v /path/to/knowledge-base:/srv/sportello/knowledge-base:ro sportello
# The build stage compiles the release binary; the runtime image is Debian slim with the binary,
# a non-root user and a health check on /readyz. Where no Docker daemon is available,
# scripts/docker-chroot.sh runs the runtime stage's steps in a Debian chroot (see its header).

# The toolchain CI builds with (the workspace's own minimum is Rust 1.85).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p sportello-cli

FROM debian:bookworm-slim
RUN useradd --uid 10001 --user-group --home-dir /var/lib/sportello --create-home --shell /usr/sbin/nologin sportello
COPY --from=build /src/target/release/sportello /usr/local/bin/sportello
COPY deploy/sportello.toml /etc/sportello/sportello.toml
COPY knowledge-base/comune-di-esempio /srv/sportello/knowledge-base/comune-di-esempio
USER sportello
WORKDIR /var/lib/sportello
ENV RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
CMD ["/usr/local/bin/sportello", "serve", "--config", "/etc/sportello/sportello.toml", "--listen", "0.0.0.0:8080"]
