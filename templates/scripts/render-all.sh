#!/usr/bin/env bash
# Render every template with every parameter set in scripts/params/ and check each result
# with check-rendered.sh. Prints the render time per service and, last, the summed
# "N passed, N failed, N skipped" line.
#
# usage: render-all.sh [template-name-filter] [params-filter]   (e.g. render-all.sh node critical)
# env:   OUT=<dir> (kept; default: a temp dir, removed when every check passed, kept and named
#        when one failed), SHIPSHAPE_RENDER_DEPS (nunjucks + js-yaml;
#        installed into <repo>/.tools/render-deps on first use), CHECK_KUBE=0|1 (default: 1
#        when $KUBECONFIG or <repo>/.stack/kubeconfig answers)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
repo=$(cd "$root/.." && pwd)
export PATH="$repo/.tools/bin:$repo/.tools/node22/node_modules/.bin:$PATH"
export SHIPSHAPE_RENDER_DEPS=${SHIPSHAPE_RENDER_DEPS:-$repo/.tools/render-deps}
if [[ ! -d $SHIPSHAPE_RENDER_DEPS/node_modules/nunjucks ]]; then
  npm install --prefix "$SHIPSHAPE_RENDER_DEPS" --no-audit --no-fund --loglevel=error nunjucks@3.2.4 js-yaml@4.1.0 >/dev/null || exit 1
fi
"$here/sync-shared.sh" --check || { echo "run templates/scripts/sync-shared.sh first" >&2; exit 1; }
if [[ -n ${OUT:-} ]]; then out=$OUT keep=1; else out=$(mktemp -d /tmp/shipshape-templates.XXXXXX) keep=0; fi
mkdir -p "$out"
# the real engine runs when the portal's node_modules are installed (yarn install)
real=0
[[ -d $repo/node_modules/@backstage/plugin-scaffolder-backend && -d $repo/node_modules/@backstage/plugin-scaffolder-backend-module-github ]] && real=1
[[ $real == 1 ]] || echo "note: no node_modules in the repo; the real-engine comparison is skipped" >&2
# with a reachable cluster (the local stack's, by default) the checks also install the charts
if [[ -z ${CHECK_KUBE:-} ]]; then
  [[ -z ${KUBECONFIG:-} && -f $repo/.stack/kubeconfig ]] && export KUBECONFIG=$repo/.stack/kubeconfig
  if [[ -n ${KUBECONFIG:-} ]] && kubectl version --request-timeout=5s >/dev/null 2>&1; then
    export CHECK_KUBE=1; echo "cluster reachable: charts are also dry-run and installed (CHECK_KUBE=1)"
  fi
fi
P=0 F=0 S=0
if [[ $real == 1 && -z ${1:-} ]]; then
  # bad input is refused at the field, by the wizard's own validator
  if node "$here/check-wizard-validation.mjs" >"$out/wizard-validation.log" 2>&1; then
    echo "wizard validation: $(tail -n 1 "$out/wizard-validation.log")"
  else
    echo "FAIL wizard validation (see $out/wizard-validation.log)"; grep FAIL "$out/wizard-validation.log" >&2
  fi
  read -r p_ _ f_ _ <<<"$(tail -n 1 "$out/wizard-validation.log" | tr -d ,)"
  P=$((P + ${p_:-0})); F=$((F + ${f_:-1}))
fi
for tpl in "$root"/*/; do
  tpl=${tpl%/}
  [[ -f $tpl/template.yaml && -d $tpl/skeleton ]] || continue
  t=$(basename "$tpl")
  [[ -n ${1:-} && $t != *$1* ]] && continue
  for params in "$here"/params/*.json; do
    p=$(basename "$params" .json)
    [[ -n ${2:-} && $p != *$2* ]] && continue
    dest=$out/$t-$p
    t0=$(date +%s%N)
    if ! RENDER_DUMP_INPUTS="$out/$t-$p.inputs.json" node "$here/render.mjs" "$tpl" "$params" "$dest" 2>"$out/$t-$p.render.log"; then
      cat "$out/$t-$p.render.log" >&2; F=$((F + 1)); continue
    fi
    echo "rendered $t with $p in $(( ($(date +%s%N) - t0) / 1000000 )) ms (render.mjs) → $dest"
    if [[ $real == 1 ]]; then
      # the real scaffolder engine: same files, or the emulation is wrong
      if node "$here/run-scaffolder.mjs" "$tpl" "$out/$t-$p.inputs.json" "$dest.real" >"$out/$t-$p.run.json" 2>"$out/$t-$p.run.log" \
        && node "$here/run-scaffolder.mjs" "$tpl" "$out/$t-$p.inputs.json" "$dest.dry" --dry-run >"$out/$t-$p.dry.json" 2>>"$out/$t-$p.run.log" \
        && diff -r "$dest" "$dest.real" >"$out/$t-$p.diff" 2>&1; then
        P=$((P + 1))
        echo "  real scaffolder engine: identical files; task $(sed -n 's/.*"ms": \([0-9]*\).*/\1/p' "$out/$t-$p.run.json") ms, dry run $(sed -n 's/.*"ms": \([0-9]*\).*/\1/p' "$out/$t-$p.dry.json") ms"
      else
        F=$((F + 1)); echo "  FAIL real scaffolder engine (see $out/$t-$p.run.log, $t-$p.diff)"; tail -n 5 "$out/$t-$p.run.log" >&2
      fi
      rm -rf "$dest.real" "$dest.dry"
    fi
    summary=$(CHECK_PARAMS=$params "$here/check-rendered.sh" "$dest" 2>"$out/$t-$p.check.log" | tee -a "$out/$t-$p.check.log" | tail -n 1)
    t1=$(( ($(date +%s%N) - t0) / 1000000000 ))
    echo "  checked in ${t1}s: $summary"
    read -r p_ _ f_ _ s_ _ <<<"${summary//,/}"
    P=$((P + ${p_:-0})); F=$((F + ${f_:-1})); S=$((S + ${s_:-0}))
  done
done
# the rendered services are ~400 MB a run: a temp dir goes once everything passed
if [[ $F == 0 && $keep == 0 ]]; then
  rm -rf "$out"; echo "all passed: removed $out (set OUT=<dir> to keep the output)"
else
  echo "logs and rendered services: $out"
fi
echo "$P passed, $F failed, $S skipped"
[[ $F == 0 ]]
