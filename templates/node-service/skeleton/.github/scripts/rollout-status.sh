#!/usr/bin/env bash
# Waits until the release just installed in namespace NAME is out, whichever workload the chart
# made (values strategy): a Deployment (rolling) until it has rolled out; an Argo Rollout
# (canary, blue-green) until its controller has seen the new spec and says Healthy, or Paused at a
# step that waits for Promote (in the portal). An aborted or degraded Rollout (e.g. its SLO
# analysis failed) fails the step, so the job's rollback step runs.
# usage: rollout-status.sh NAME TIMEOUT_SECONDS
set -euo pipefail
name=$1 timeout=$2
rollout=rollouts.argoproj.io/$name
if ! kubectl -n "$name" get "$rollout" >/dev/null 2>&1; then
  exec kubectl -n "$name" rollout status "deployment/$name" --timeout "${timeout}s"
fi
deadline=$((SECONDS + timeout))
while :; do
  # the message last: it may hold the separator
  fields=$(kubectl -n "$name" get "$rollout" \
    -o jsonpath='{.metadata.generation}|{.status.observedGeneration}|{.status.phase}|{.status.abort}|{.status.message}')
  IFS='|' read -r generation observed phase aborted message <<<"$fields"
  # until the controller has seen this spec, its phase is the previous release's
  if [[ $observed == "$generation" ]]; then
    if [[ $aborted == true || $phase == Degraded ]]; then
      [[ $aborted == true ]] && phase="$phase, aborted"
      echo "::error::Rollout $name is $phase: $message"
      exit 1
    fi
    case $phase in
      Healthy) echo "Rollout $name is healthy"; exit 0 ;;
      Paused) echo "Rollout $name waits for Promote: $message"; exit 0 ;;
    esac
  fi
  if ((SECONDS >= deadline)); then
    echo "::error::Rollout $name is still ${phase:-unknown} after ${timeout}s: $message"
    exit 1
  fi
  sleep 3
done
