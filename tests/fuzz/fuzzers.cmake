# The libFuzzer targets (tests/fuzz/fuzz_<name>.cpp, seeds in tests/fuzz/corpus/<name>).
# Shared by the fuzz tree (MERCATO_FUZZ=ON) and the plain tree's CTest smoke.
set(MERCATO_FUZZERS
    http_head
    json_body
    jwt
    multipart
    stripe_signature
    image
    config
    database_url
    cursor)
