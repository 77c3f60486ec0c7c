"""A torchrun-like launcher: ``python3 -m minitorch.distributed.run --nproc-per-node 2 train.py ARGS``.

It only spells out the ``mpiexec`` command and replaces itself with it: MPI's launcher starts the
processes, connects them and ends them all if one fails. ``mpiexec`` is looked up beside this
Python first (where the ``mpich`` wheel installs it), then on ``PATH``.
"""
import argparse
import os
import shutil
import sys


def find_mpiexec() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.path.exists(beside) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("mpiexec not found: pip install mpi4py mpich")
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, help="processes to start")
    parser.add_argument("--hostfile", help="MPI hostfile: one machine per line, as 'host:slots'")
    parser.add_argument("script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    mpiexec = find_mpiexec()
    processes = args.nproc_per_node
    command = [mpiexec]
    if args.hostfile:
        with open(args.hostfile) as hostfile:
            machines = [line for line in hostfile if line.strip() and not line.startswith("#")]
        processes *= len(machines)
        command += ["-f", args.hostfile, "-ppn", str(args.nproc_per_node)]
    command += ["-n", str(processes)]
    os.execv(mpiexec, command + [sys.executable, args.script, *args.script_args])


if __name__ == "__main__":
    main()
