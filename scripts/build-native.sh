#!/bin/sh
# Every small C helper: native/NAME/NAME.c -> bin/NAME (the DNS fast path is a node-gyp addon, built apart).
set -e
cd "$(dirname "$0")/.."
mkdir -p bin
for dir in native/ponton-*/; do
  name=$(basename "$dir")
  cc -O2 -Wall -Wextra -o "bin/$name" "$dir$name.c"
done
