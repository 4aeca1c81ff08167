# Shared by the benchmark scripts (sourced, not run).

# make_batch DIR COPIES: COPIES copies of each sample article in DIR/articles,
# each with a unique line so every request has its own cache key, plus prompts.
make_batch() {
  local dir=$1 copies=$2 i f
  mkdir -p "$dir/articles"
  cp -r prompts "$dir/"
  for i in $(seq "$copies"); do
    for f in articles/*.txt; do
      { head -n 3 "$f"; echo; echo "Kopie Nummer $i des Artikels."; echo; tail -n +4 "$f"; } \
        >"$dir/articles/$(basename "$f" .txt)-$i.txt"
    done
  done
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
