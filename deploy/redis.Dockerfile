# Redis 7.0 from Debian's package, for the compose example and the container tests (an image that
# builds from Debian's archive alone; any redis:7 image works in its place).
#   podman build -f deploy/redis.Dockerfile -t respite-redis deploy
FROM debian:bookworm-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
