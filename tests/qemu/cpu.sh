# shellcheck shell=bash
# cpu.sh: the vCPU model of every QEMU boot of the chain and of its floor
# (sourced by tests/qemu/lib.sh and bench/chain/floor.sh, bash).
# QEMU's default model has no RDRAND, which every server CPU of the fleet
# has (and Debian's kernel trusts, RANDOM_TRUST_CPU=y); without it the
# stage-1 kernel's CRNG was not ready when the agent asked getrandom() for
# its nonce, a 1 s wait no real node has.  TCG emulates RDRAND.
# shellcheck disable=SC2034,SC2054 # for the sourcing file; the comma is QEMU's
QEMU_CPU_ARGS=(-cpu qemu64,+rdrand)
