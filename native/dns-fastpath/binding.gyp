{
  "targets": [
    {
      "target_name": "dns_fastpath",
      "sources": ["src/addon.cc", "src/answer-table.cc", "src/client-prefixes.cc", "src/udp-loop.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=gnu++17", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread"]
    }
  ]
}
