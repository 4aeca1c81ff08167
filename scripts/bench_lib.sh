# Shared by the benchmark scripts (sourced, not run).

# make_batch DIR COPIES: COPIES copies of each sample article in DIR/articles,
# each with a unique line, and its number at the start of every paragraph (the
# stand-in summarizes a text by its first sentence), so every request
# (translation context and summaries alike) has its own cache key; plus prompts.
make_batch() {
  local dir=$1 copies=$2 i f
  mkdir -p "$dir/articles"
  cp -r prompts "$dir/"
  for i in $(seq "$copies"); do
    for f in articles/*.txt; do
      { head -n 3 "$f"; echo; echo "Kopie Nummer $i des Artikels."; echo; tail -n +4 "$f"; } |
        awk -v n="$i" 'length($0) > 80 { $0 = "(Kopie " n ") " $0 } { print }' \
        >"$dir/articles/$(basename "$f" .txt)-$i.txt"
    done
  done
}

# bench_config [SED_ARGS...] >FILE: config.yaml for a synthetic batch. Its
# articles are copies of two, so the repeated-lines signal would strip them
# as site chrome, and the stand-in echoes German, so every translation would
# get a repair request; both are off to measure the engine on the same
# 10,010 requests as before them. Extra sed expressions apply on top.
bench_config() {
  sed -e "s/repeated_lines: {min_articles: 3,/repeated_lines: {min_articles: 0,/" \
      -e "s/repair: true/repair: false/" "$@" config.yaml
}

# start_standin DIR ARGS...: starts the stand-in server in the background,
# sets $standin (its pid) and $standin_url (http://127.0.0.1:PORT).
start_standin() {
  local dir=$1
  shift
  build/tests/support/lingopipe-standin --port-file "$dir/port" "$@" >"$dir/standin.log" 2>&1 &
  standin=$!
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
  standin_url="http://127.0.0.1:$(cat "$dir/port")"
}
