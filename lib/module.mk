# lib/: code shared by the agent, the server and the CLI.  One home, linked
# into every program that needs it, never copied.
LIB_SRCS := lib/err.c
LIB_CRYPTO_LIBS := -lmbedcrypto

UNIT_TESTS += test_err
test_err_SRCS := tests/unit/test_err.c tests/test.c lib/err.c
