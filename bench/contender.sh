#!/usr/bin/env bash
# One process of the contention benchmark (bench/contention.mjs). PAIRS times: take the lock, add
# one to the number in COUNTER by reading it and writing it back (an update that two holders at
# once would lose), give the lock back. It prints "ready" once it can start, waits for a line on
# stdin, and at the end prints "LONGEST_WAIT_US AVERAGE_WAIT_US" (the waits for the lock).
#
#   contender.sh svsem PAIRS COUNTER NODE CLI DB SEMID   through `svsem shell`, a coprocess
#   contender.sh flock PAIRS COUNTER LOCKFILE            through flock(1) on a descriptor
set -eu
mode=$1 pairs=$2 counter=$3

if [ "$mode" = svsem ]; then
  node=$4 cli=$5 db=$6 semid=$7
  coproc SVSEM { exec "$node" "$cli" --db "$db" shell; }
  ask() {
    echo "$1" >&"${SVSEM[1]}"
    read -r -t 60 reply <&"${SVSEM[0]}" || { echo "no answer to: $1" >&2; exit 1; }
  }
  take() { ask "semop $semid 0:-1 --undo --json"; }
  give() { echo "semop $semid 0:+1 --undo" >&"${SVSEM[1]}"; }
  ask "semctl $semid getval 0" # the shell has started
else
  exec 9>>"$4"
  take() { flock 9; }
  give() { flock -u 9; }
fi

echo ready
read -r _go
longest=0 total=0
for ((i = 0; i < pairs; i++)); do
  asked=${EPOCHREALTIME/./}
  take
  waited=$((${EPOCHREALTIME/./} - asked))
  if ((waited > longest)); then longest=$waited; fi
  total=$((total + waited))
  read -r n <"$counter"
  echo $((n + 1)) >"$counter"
  give
done

if [ "$mode" = svsem ]; then
  ask "semctl $semid getval 0" # every line has run
  eval "exec ${SVSEM[1]}>&-"
  wait "$SVSEM_PID"
fi
echo "$longest $((total / pairs))"
