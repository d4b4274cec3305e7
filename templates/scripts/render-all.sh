#!/usr/bin/env bash
# Render every template with every parameter set in scripts/params/ through the real
# scaffolder engine and check each result with check-rendered.sh. All renders run in one
# Node process (run-scaffolder.mjs --batch): each service as a task and as a dry run, which
# must give the same files. Then the services are checked, CHECK_JOBS at a time. Prints the
# render and check time per service, the checks that took longest, and, last, the summed
# "N passed, N failed, N skipped" line.
#
# usage: render-all.sh [template-name-filter] [params-filter]   (e.g. render-all.sh node critical)
# env:   OUT=<dir> (kept; default: a temp dir, removed when every check passed, kept and named
#        when one failed), CHECK_JOBS (services checked at once; default 2),
#        CHECK_KUBE=0|1 (default: 1 when $KUBECONFIG or <repo>/.stack/kubeconfig answers)
# Needs the repo's node_modules (yarn install).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
repo=$(cd "$root/.." && pwd)
export PATH="$repo/.tools/bin:$repo/.tools/node22/node_modules/.bin:$PATH"
[[ -d $repo/node_modules/@backstage/plugin-scaffolder-backend ]] || { echo "render-all.sh needs the repo's node_modules (yarn install)" >&2; exit 1; }
"$here/sync-shared.sh" --check || { echo "run templates/scripts/sync-shared.sh first" >&2; exit 1; }
if [[ -n ${OUT:-} ]]; then out=$OUT keep=1; else out=$(mktemp -d /tmp/shipshape-templates.XXXXXX) keep=0; fi
mkdir -p "$out"
jobs_max=${CHECK_JOBS:-2}
# with a reachable cluster (the local stack's, by default) the checks also install the charts
if [[ -z ${CHECK_KUBE:-} ]]; then
  [[ -z ${KUBECONFIG:-} && -f $repo/.stack/kubeconfig ]] && export KUBECONFIG=$repo/.stack/kubeconfig
  if [[ -n ${KUBECONFIG:-} ]] && kubectl version --request-timeout=5s >/dev/null 2>&1; then
    export CHECK_KUBE=1; echo "cluster reachable: charts are also dry-run and installed (CHECK_KUBE=1)"
  fi
fi
P=0 F=0 S=0
started=$SECONDS

# ---------------- render: one task and one dry run a service, in one Node process ----------------
services=() params_of=()
: >"$out/render-jobs.tsv"
for tpl in "$root"/*/; do
  tpl=${tpl%/}
  [[ -f $tpl/template.yaml && -d $tpl/skeleton ]] || continue
  t=$(basename "$tpl")
  [[ -n ${1:-} && $t != *$1* ]] && continue
  for params in "$here"/params/*.json; do
    p=$(basename "$params" .json)
    [[ -n ${2:-} && $p != *$2* ]] && continue
    services+=("$t-$p"); params_of+=("$params")
    printf '%s\t%s\t%s\n%s\t%s\t%s\t--dry-run\n' "$tpl" "$params" "$out/$t-$p" "$tpl" "$params" "$out/$t-$p.dry" >>"$out/render-jobs.tsv"
  done
done
# bad input is refused at the field, by the wizard's own validator (meanwhile: a second process)
if [[ -z ${1:-} ]]; then
  node "$here/check-wizard-validation.mjs" >"$out/wizard-validation.log" 2>&1 &
  wizard_pid=$!
fi
t0=$(date +%s%N)
node "$here/run-scaffolder.mjs" --batch "$out/render-jobs.tsv" >"$out/render.log" 2>&1
echo "rendered ${#services[@]} services and their dry runs with the real scaffolder engine in $(( ($(date +%s%N) - t0) / 1000000 )) ms (one node process)"
if [[ -n ${wizard_pid:-} ]]; then
  if wait "$wizard_pid"; then
    echo "wizard validation: $(tail -n 1 "$out/wizard-validation.log")"
  else
    echo "FAIL wizard validation (see $out/wizard-validation.log)"; grep FAIL "$out/wizard-validation.log" >&2
  fi
  read -r p_ _ f_ _ <<<"$(tail -n 1 "$out/wizard-validation.log" | tr -d ,)"
  P=$((P + ${p_:-0})); F=$((F + ${f_:-1}))
fi
ms() { sed -n 's/^  "ms": \([0-9]*\).*/\1/p' "$1" 2>/dev/null; }
checks=() check_params=()
for i in "${!services[@]}"; do
  s=${services[$i]} dest=$out/${services[$i]}
  if ! grep -qx "ok [0-9]* ms $dest" "$out/render.log" || ! grep -qx "ok [0-9]* ms $dest.dry" "$out/render.log"; then
    F=$((F + 1)); echo "FAIL render $s (see $dest.log, $dest.dry.log)"; cat "$dest.log" "$dest.dry.log" >&2; continue
  fi
  # the engine's dry run (createDryRunner, as the template editor runs it) gives the same files
  if diff -r "$dest" "$dest.dry" >"$dest.diff" 2>&1; then
    P=$((P + 1)); echo "rendered $s: task $(ms "$dest.json") ms, dry run $(ms "$dest.dry.json") ms, same files → $dest"
  else
    F=$((F + 1)); echo "FAIL $s: the dry run's files differ from the task's (see $dest.diff)"
  fi
  rm -rf "$dest.dry"
  checks+=("$s"); check_params+=("${params_of[$i]}")
done

# ---------------- check: CHECK_JOBS services at a time, those with a database (longest) first ----------------
check_one() { # service params
  local t0=$SECONDS summary
  CHECK_PARAMS=$2 "$here/check-rendered.sh" "$out/$1" >"$out/$1.check.log" 2>"$out/$1.check.err"
  summary=$(tail -n 1 "$out/$1.check.log")
  echo "$summary" >"$out/$1.summary"
  echo "checked $1 in $((SECONDS - t0))s: $summary"
  [[ $summary == *" 0 failed"* ]] || tail -n 40 "$out/$1.check.err" >&2
}
order=()
for i in "${!checks[@]}"; do [[ ${checks[$i]} == *postgresql* ]] && order+=("$i"); done
for i in "${!checks[@]}"; do [[ ${checks[$i]} == *postgresql* ]] || order+=("$i"); done
for i in "${order[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n; done
  check_one "${checks[$i]}" "${check_params[$i]}" &
done
wait
for s in "${checks[@]}"; do
  read -r p_ _ f_ _ s_ _ <<<"$(tr -d , <"$out/$s.summary" 2>/dev/null)"
  P=$((P + ${p_:-0})); F=$((F + ${f_:-1})); S=$((S + ${s_:-0}))
done
# where the time went: each check's time summed over the services
if ((${#checks[@]})); then
  echo "slowest checks (seconds summed over ${#checks[@]} services, $jobs_max at a time):"
  for s in "${checks[@]}"; do sed -nE 's/^   (ok|FAIL) +(.*) \(([0-9]+)s\)$/\3\t\2/p' "$out/$s.check.log"; done |
    awk -F'\t' '{ t[$2] += $1 } END { for (k in t) printf "%6d s  %s\n", t[k], k }' | sort -rn | head -n 8
fi
echo "templates stage: $((SECONDS - started)) s"
# the rendered services are ~400 MB a run: a temp dir goes once everything passed
if [[ $F == 0 && $keep == 0 ]]; then
  rm -rf "$out"; echo "all passed: removed $out (set OUT=<dir> to keep the output)"
else
  echo "logs and rendered services: $out"
fi
echo "$P passed, $F failed, $S skipped"
[[ $F == 0 ]]
