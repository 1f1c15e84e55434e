#!/usr/bin/env bash
# Regenerate expected golden outputs: update.sh [NAME...] (all when none given).
# Review the diff (git diff tests/golden) before committing: every change must be explained.
here=$(cd "$(dirname "$0")" && pwd)
export TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
UPDATE=1 exec bash "$here/run.sh" "$@"
