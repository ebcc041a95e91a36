#!/bin/bash
# sizes.sh DIR: print the size of every image under DIR (make images).
set -euo pipefail
dir=$1
printf '%-44s %12s\n' "image" "bytes"
find "$dir" -type f ! -name '*.tmp*' | sort | while read -r f; do
  printf '%-44s %12s\n' "${f#"$dir"/}" "$(stat -c %s "$f")"
done
