#!/bin/sh
# cluster.sh — a two-shard ClickHouse cluster on 127.0.0.1 for lmm's distributed-pass tests and bench.
#   cluster.sh start DIR   two clickhouse-server processes, config and data under DIR/shard{1,2},
#                          HTTP on 18123 / 18124, native on 19000 / 19001, cluster 'lmm2' over both
#   cluster.sh stop DIR    stops the processes it started (their pids are in DIR), leaving nothing running
# Ports may be moved with LMM_CH_PORT (HTTP of shard 1; the others follow from it).
set -eu
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
base=${LMM_CH_PORT:-18123}
server=${CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}

shard_config() {   # $1 shard number, $2 http port, $3 tcp port
  d="$dir/shard$1"
  mkdir -p "$d/data" "$d/tmp" "$d/log"
  cat > "$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$2</http_port>
  <tcp_port>$3</tcp_port>
  <interserver_http_port>$(($2 + 200))</interserver_http_port>
  <max_connections>64</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>16</max_concurrent_queries>
  <uncompressed_cache_size>0</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <remote_servers>
    <lmm2>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$tcp2</port></replica></shard>
    </lmm2>
  </remote_servers>
</yandex>
XML
  cat > "$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><max_threads>2</max_threads></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
http1=$base; http2=$((base + 1)); tcp1=$((base + 877)); tcp2=$((base + 878))
case $cmd in
start)
  mkdir -p "$dir"
  for s in 1 2; do
    if [ $s = 1 ]; then hp=$http1; tp=$tcp1; else hp=$http2; tp=$tcp2; fi
    shard_config $s $hp $tp
    if [ -f "$dir/shard$s/pid" ] && kill -0 "$(cat "$dir/shard$s/pid")" 2>/dev/null; then continue; fi
    "$server" --config-file="$dir/shard$s/config.xml" > "$dir/shard$s/log/stdout" 2>&1 &
    echo $! > "$dir/shard$s/pid"
  done
  for s in 1 2; do
    if [ $s = 1 ]; then hp=$http1; else hp=$http2; fi
    i=0
    until [ "$(curl -s "http://127.0.0.1:$hp/ping" 2>/dev/null)" = "Ok." ]; do
      i=$((i + 1))
      if [ $i -gt 300 ] || ! kill -0 "$(cat "$dir/shard$s/pid")" 2>/dev/null; then
        echo "cluster.sh: shard $s did not start; see $dir/shard$s/log" >&2; exit 1
      fi
      sleep 0.1
    done
  done
  echo "cluster.sh: shards up on http://127.0.0.1:$http1 and :$http2 (cluster lmm2)"
  ;;
stop)
  for s in 1 2; do
    f="$dir/shard$s/pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1)); [ $i -gt 200 ] && { kill -9 "$pid" 2>/dev/null || true; break; }
      sleep 0.1
    done
    rm -f "$f"
  done
  ;;
*) echo "usage: cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
