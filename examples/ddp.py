"""Train the CNN of cnn.py on Digits with DistributedDataParallel: one process per share of the data.

    mpiexec -n 2 python3 examples/ddp.py           # two processes on this machine
    python3 examples/ddp.py                         # one process (world size 1)
    python3 -m minitorch.distributed.run --nproc-per-node 2 examples/ddp.py

Each process reads its share of each epoch (``DistributedSampler``), computes gradients on it, and
DDP averages them across the processes during backward, so every process takes the same step. Rank
0 prints the one-line summaries and saves ``checkpoint.pt`` (the model's own keys, not ``module.``).
On several machines: see the README's "Training on several processes or machines".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and cnn.py, run from anywhere

import cnn  # noqa: E402
import common  # noqa: E402
import metrics  # noqa: E402

import minitorch  # noqa: E402
import minitorch.distributed as dist  # noqa: E402


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=10, batch_size=32, lr=2e-3, out="runs/ddp")
    args = common.parse_args(parser, argv)
    args.data, args.root = "digits", None
    dist.init_process_group("mpi")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    train_images, train_labels, test_images, test_labels, _ = cnn.load_data(args)
    dataset = minitorch.utils.data.TensorDataset(minitorch.from_numpy(cnn.normalize(train_images)),
                                                 minitorch.from_numpy(train_labels))
    sampler = minitorch.utils.data.distributed.DistributedSampler(dataset, seed=args.seed)
    loader = minitorch.utils.data.DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    test_loader = common.make_loader(minitorch, cnn.normalize(test_images), test_labels, 500)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    minitorch.manual_seed(args.seed)
    model = minitorch.nn.parallel.DistributedDataParallel(cnn.build_model(minitorch.nn))
    loss_function = minitorch.nn.CrossEntropyLoss()
    optimizer = minitorch.optim.Adam(model.parameters(), lr=args.lr)
    if rank == 0:
        print(f"{world_size} process(es), {len(sampler)} of {len(dataset)} training images each")
    history = {"train_loss": [], "accuracy": []}
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        with common.Timer() as timer:
            losses = common.train_epoch(model, loader, loss_function, optimizer, "cpu", max_batches=max_batches,
                                        description=f"rank {rank} epoch {epoch + 1}")
            # The mean loss over every process's batches, as one process would have seen it.
            mean_loss = minitorch.tensor(sum(losses) / len(losses))
            dist.all_reduce(mean_loss, dist.ReduceOp.AVG)
            outputs, targets = common.predict(minitorch, model, test_loader, "cpu", max_batches)
            accuracy = metrics.accuracy(targets, outputs.argmax(axis=1))
        history["train_loss"].append(mean_loss.item())
        history["accuracy"].append(accuracy)
        if rank == 0:
            print(common.epoch_summary(epoch + 1, args.epochs, mean_loss.item(), "accuracy", accuracy,
                                       timer.seconds), flush=True)
    if rank == 0:
        checkpoint_path = os.path.join(args.out, "checkpoint.pt")
        common.save_checkpoint(minitorch, checkpoint_path, model.module, optimizer, args.epochs, history)
        print(f"saved {checkpoint_path}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
