{
  "targets": [
    {
      "target_name": "linux_io",
      "sources": ["linux_io.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
