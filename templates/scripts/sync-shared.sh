#!/usr/bin/env bash
# Files common to every service template live once in templates/_shared/skeleton/ and are
# copied into each template's skeleton/ (Backstage's fetch:template cannot read outside the
# template's own folder). Run after editing _shared; --check fails if a copy drifted.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$root/_shared/skeleton
mode=${1:-sync}
status=0
for tpl in "$root"/*/; do
  tpl=${tpl%/}
  # only templates that scaffold a service (have a skeleton/); not _shared, not day-2 templates
  [[ -f $tpl/template.yaml && -d $tpl/skeleton ]] || continue
  while IFS= read -r -d '' f; do
    rel=${f#"$shared"/}
    dst=$tpl/skeleton/$rel
    if [[ $mode == --check ]]; then
      if ! cmp -s "$f" "$dst"; then echo "drift: ${dst#"$root"/} differs from _shared/skeleton/$rel" >&2; status=1; fi
    else
      mkdir -p "$(dirname "$dst")"
      cp -p "$f" "$dst"
    fi
  done < <(find "$shared" -type f -print0)
done
exit $status
