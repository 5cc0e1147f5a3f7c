#!/bin/sh
# Fills in one file of a recipe (docs/recipes/): copies TEMPLATE to OUTPUT
# with every @NAME@ replaced by the value given as NAME=value, and refuses to
# leave a placeholder unfilled (OUTPUT is then not written).
#
# Usage: render.sh TEMPLATE OUTPUT NAME=value...
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 TEMPLATE OUTPUT NAME=value..." >&2
  exit 2
fi
template=$1 output=$2
shift 2

# One sed script from the arguments. Values are paths, ports and secrets;
# '|' (the delimiter), '&' and '\' (special in a replacement) are refused
# rather than escaped.
script=""
for assignment in "$@"; do
  name=${assignment%%=*}
  value=${assignment#*=}
  case "$name" in
    ''|*[!A-Z0-9_]*) echo "$0: bad name in \"$assignment\"" >&2; exit 2 ;;
  esac
  case "$value" in
    *'|'*|*'&'*|*'\'*) echo "$0: $name: the value may not hold '|', '&' or '\\'" >&2; exit 2 ;;
  esac
  script="${script}s|@${name}@|${value}|g;"
done

rendered=$(mktemp "$output.XXXXXX")
trap 'rm -f "$rendered"' EXIT
sed -e "$script" "$template" > "$rendered"
if grep -n '@[A-Z0-9_]*@' "$rendered" >&2; then
  echo "$0: $template: the placeholders above are not filled in" >&2
  exit 1
fi
# FreeRADIUS and estd read these files; they may hold secrets.
chmod 640 "$rendered"
mv "$rendered" "$output"
trap - EXIT
