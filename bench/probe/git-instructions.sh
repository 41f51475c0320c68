#!/bin/bash
# Instructions each git process of one command runs (issue 14 performance, twentieth session).
# Puts a `git` on PATH that runs the real git under valgrind's callgrind, children included (a
# push's pack-objects, the remote's receive-pack, unpack-objects and connectivity rev-list), and
# appends one line per git command (millions of instructions, argv) and one per process to OUT.
# Instruction counts do not move with the machine's load, so two ledgers (or two builds) can be
# compared while other work runs, where wall times cannot. Needs valgrind (apt-get install valgrind).
#   bench/probe/git-instructions.sh OUT.txt -- node dist/bin/slsa-ledger.js record --repo CLONE …
set -euo pipefail
out=$(realpath -m "$1")
shift
[ "${1:-}" = "--" ] && shift
real=$(command -v git)
wrap=$(mktemp -d /tmp/git-instructions.XXXXXX)
trap 'rm -rf "$wrap"' EXIT
cat > "$wrap/git" <<WRAP
#!/bin/bash
logs=\$(mktemp -d "$wrap/run.XXXXXX")
valgrind --tool=callgrind --callgrind-out-file=/dev/null --trace-children=yes --log-file="\$logs/%p.log" "$real" "\$@"
rc=\$?
total=\$(cat "\$logs"/*.log | awk '/Collected/ {s+=\$4} END {printf "%.1f", s/1e6}')
echo "\$total M  git \$(echo "\$*" | cut -c1-70)" >> "$out"
for f in "\$logs"/*.log; do
  n=\$(awk '/Collected/ {printf "%.1f", \$4/1e6}' "\$f")
  cmd=\$(sed -n 's/^==[0-9]*== Command: //p' "\$f" | cut -c1-90)
  echo "    \$n M  \$cmd" >> "$out"
done
rm -rf "\$logs"
exit \$rc
WRAP
chmod +x "$wrap/git"
PATH="$wrap:$PATH" "$@"
