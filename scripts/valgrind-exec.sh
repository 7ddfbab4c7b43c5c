#!/bin/sh
# prove --exec for make test-valgrind: one prove run, one summary.  The
# unit programs run under valgrind's memcheck (an error or a definite leak
# is exit code 99, which fails the program); the t/*.t files run with perl
# (the runner starts nginx under valgrind itself: TEST_NGINX_USE_VALGRIND).
case "$1" in
    *.t) exec perl "$@" ;;
    *)   exec valgrind -q --error-exitcode=99 --leak-check=full \
              --errors-for-leak-kinds=definite "$@" ;;
esac
