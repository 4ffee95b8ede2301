"""MNIST, Fashion-MNIST, CIFAR-10 and STL-10: downloaded once, checksummed, cached under ``data/``.

The files are the datasets' official ones (IDX for the MNISTs, the *binary* CIFAR-10 and STL-10
archives, so nothing is unpickled). Set ``COURSE_DATA_DIR`` to keep them elsewhere.
"""
import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import torch

MNIST_FILES = {  # name -> md5 (torchvision's and the dataset pages' checksums)
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
CIFAR10_FILES = {"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"}
STL10_FILES = {"stl10_binary.tar.gz": "91f7769df0f17e558f3565bffb0c7dfb"}  # 2.6 GB

MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion_mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
    "cifar10": ["https://www.cs.toronto.edu/~kriz/"],
    "stl10": ["http://ai.stanford.edu/~acoates/stl10/"],
}
FILES = {"mnist": MNIST_FILES, "fashion_mnist": FASHION_FILES, "cifar10": CIFAR10_FILES,
         "stl10": STL10_FILES}


def data_dir():
    default = Path(__file__).resolve().parent.parent / "data"
    return Path(os.environ.get("COURSE_DATA_DIR", default))


def md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(dataset, root=None, mirrors=None, files=None):
    """Make sure every file of ``dataset`` is in ``root/dataset`` with the right checksum.

    Downloads what is missing (trying each mirror), verifies the MD5, and keeps a file only
    when it matches: a partial or corrupt download is deleted, never used.
    """
    files = files or FILES[dataset]
    target = Path(root or data_dir()) / dataset
    target.mkdir(parents=True, exist_ok=True)
    for name, checksum in files.items():
        path = target / name
        if path.exists() and md5(path) == checksum:
            continue
        errors = []
        for base in mirrors or MIRRORS[dataset]:
            tmp = path.with_suffix(path.suffix + ".part")
            try:
                with urllib.request.urlopen(base + name, timeout=60) as response, open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
            except OSError as error:
                errors.append(f"{base}: {error}")
                tmp.unlink(missing_ok=True)
                continue
            if md5(tmp) != checksum:
                errors.append(f"{base}: checksum mismatch")
                tmp.unlink()
                continue
            os.replace(tmp, path)
            break
        else:
            raise RuntimeError(f"could not download {dataset}/{name}: " + "; ".join(errors)
                               + ". Without a network, use the embedded default: cu.data.digits().")
    return target


def read_idx(path):
    """Read an IDX file (optionally gzipped): the MNIST family's format."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        header = f.read(4)
        if len(header) != 4 or header[:2] != b"\x00\x00" or header[2] != 0x08:
            raise ValueError(f"{path} is not an unsigned-byte IDX file")
        ndim = header[3]
        shape = tuple(int.from_bytes(f.read(4), "big") for _ in range(ndim))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {np.prod(shape)} values, found {data.size}")
    return data.reshape(shape)


def _mnist_like(dataset, split, root, **kwargs):
    folder = fetch(dataset, root, **kwargs)
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.copy()).float().div_(255).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def mnist(split="train", root=None, **kwargs):
    """MNIST as (N, 1, 28, 28) floats in [0, 1] and int64 labels."""
    return _mnist_like("mnist", split, root, **kwargs)


def fashion_mnist(split="train", root=None, **kwargs):
    """Fashion-MNIST as (N, 1, 28, 28) floats in [0, 1] and int64 labels."""
    return _mnist_like("fashion_mnist", split, root, **kwargs)


def cifar10(split="train", root=None, **kwargs):
    """CIFAR-10 as (N, 3, 32, 32) floats in [0, 1] and int64 labels, from the binary archive."""
    folder = fetch("cifar10", root, **kwargs)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    records = []
    with tarfile.open(folder / "cifar-10-binary.tar.gz", "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        for name in names:
            if name not in members:
                raise ValueError(f"{name} missing from the CIFAR-10 archive")
            raw = np.frombuffer(tar.extractfile(members[name]).read(), dtype=np.uint8)
            if raw.size % 3073:
                raise ValueError(f"{name}: size {raw.size} is not a multiple of 3073")
            records.append(raw.reshape(-1, 3073))
    data = np.concatenate(records)
    x = torch.from_numpy(data[:, 1:].reshape(-1, 3, 32, 32).copy()).float().div_(255)
    return x, torch.from_numpy(data[:, 0].astype(np.int64))


def stl10(split="train", root=None, limit=None, **kwargs):
    """STL-10 as (N, 3, 96, 96) floats in [0, 1] and int64 labels (-1 for ``split="unlabeled"``).

    Introduced in the self-supervised learning notebook (05). The archive's members are
    extracted once next to it; images are read through a memory map, so ``limit`` (the first
    ``limit`` images) keeps the 100,000 unlabeled ones (11 GB as floats) within memory.
    """
    folder = fetch("stl10", root, **kwargs)
    names = {"train": ("train_X.bin", "train_y.bin"), "test": ("test_X.bin", "test_y.bin"),
             "unlabeled": ("unlabeled_X.bin", None)}[split]
    extracted = folder / "stl10_binary"
    wanted = [n for n in names if n and not (extracted / n).exists()]
    if wanted:
        with tarfile.open(folder / "stl10_binary.tar.gz", "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            for name in wanted:
                if name not in members:
                    raise ValueError(f"{name} missing from the STL-10 archive")
                extracted.mkdir(exist_ok=True)
                tmp = extracted / (name + ".part")
                with tar.extractfile(members[name]) as src, open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.replace(tmp, extracted / name)
    size = 3 * 96 * 96
    raw = np.memmap(extracted / names[0], dtype=np.uint8, mode="r")
    if raw.size % size:
        raise ValueError(f"{names[0]}: size {raw.size} is not a multiple of {size}")
    n = raw.size // size if limit is None else min(limit, raw.size // size)
    # each image is stored channel by channel, each channel column by column: swap H and W
    images = np.asarray(raw[:n * size]).reshape(n, 3, 96, 96).transpose(0, 1, 3, 2)
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255)
    if names[1] is None:
        return x, torch.full((n,), -1, dtype=torch.int64)
    labels = np.fromfile(extracted / names[1], dtype=np.uint8)[:n].astype(np.int64) - 1  # 1..10 -> 0..9
    if len(labels) != n or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{names[1]}: expected {n} labels in 1..10")
    return x, torch.from_numpy(labels)
