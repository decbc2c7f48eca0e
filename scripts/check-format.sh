#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# check-format.sh - every C source and header of the project follows
# .clang-format (clang-format 14, Debian 12's). Prints the files that do
# not and fails; `bash scripts/check-format.sh --fix` rewrites them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v clang-format >/dev/null ||
	{ echo "check-format.sh: clang-format not found: bash scripts/install-deps.sh" >&2; exit 1; }

mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' '*.cc' '*.hpp' | sort)
if [ "${1:-}" = "--fix" ]; then
	clang-format -i "${files[@]}"
	exit 0
fi
bad=()
for f in "${files[@]}"; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
	echo "check-format.sh: not formatted as .clang-format says (fix: bash scripts/check-format.sh --fix):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	exit 1
fi
echo "check-format.sh: ${#files[@]} files follow .clang-format"
