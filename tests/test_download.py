"""Real dataset loaders, tested on small files written here in the datasets' own formats."""
import gzip
import hashlib
import io
import struct
import tarfile

import numpy as np
import pytest
import torch

from course_utils import download


def idx_bytes(array):
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def mnist_mirror(tmp_path):
    """A folder laid out like the MNIST mirror, with 5 train and 3 test images."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.array([5, 0, 4, 1, 9]),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.array([7, 2, 1]),
    }
    files = {}
    for name, arr in arrays.items():
        data = idx_bytes(arr)
        (mirror / name).write_bytes(data)
        files[name] = md5(data)
    return mirror, files, arrays


def test_mnist_downloads_verifies_and_parses(tmp_path, mnist_mirror):
    mirror, files, arrays = mnist_mirror
    root = tmp_path / "data"
    x, y = download.mnist("train", root=root, mirrors=[mirror.as_uri() + "/"], files=files)
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert torch.equal(y, torch.tensor([5, 0, 4, 1, 9]))
    assert torch.allclose(x[2, 0] * 255, torch.tensor(arrays["train-images-idx3-ubyte.gz"][2], dtype=torch.float32))
    xt, yt = download.mnist("test", root=root, mirrors=["file:///nonexistent/"], files=files)
    assert xt.shape == (3, 1, 28, 28) and yt.tolist() == [7, 2, 1], "second call uses the cache"


def test_a_corrupt_download_is_deleted_and_reported(tmp_path, mnist_mirror):
    mirror, files, _ = mnist_mirror
    wrong = dict(files, **{"train-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        download.fetch("mnist", root=tmp_path, mirrors=[mirror.as_uri() + "/"], files=wrong)
    assert not (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").exists()
    assert not list((tmp_path / "mnist").glob("*.part"))


def test_unreachable_mirrors_explain_the_offline_default(tmp_path):
    with pytest.raises(RuntimeError, match="embedded default"):
        download.fetch("fashion_mnist", root=tmp_path, mirrors=["file:///nonexistent/"])


def test_read_idx_rejects_truncated_files(tmp_path):
    good = idx_bytes(np.zeros((4, 2, 2)))
    raw = gzip.decompress(good)[:-3]
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match="expected 16"):
        download.read_idx(path)
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        download.read_idx(tmp_path / "text")


def test_cifar10_reads_the_binary_archive(tmp_path):
    rng = np.random.default_rng(1)
    records = {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, n in [(f"data_batch_{i}.bin", 2) for i in range(1, 6)] + [("test_batch.bin", 3)]:
            labels = rng.integers(0, 10, n)
            pixels = rng.integers(0, 256, (n, 3072))
            data = np.concatenate([labels[:, None], pixels], axis=1).astype(np.uint8).tobytes()
            records[name] = (labels, pixels)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "cifar-10-binary.tar.gz").write_bytes(archive)
    files = {"cifar-10-binary.tar.gz": md5(archive)}
    x, y = download.cifar10("train", root=tmp_path / "data", mirrors=[mirror.as_uri() + "/"], files=files)
    assert x.shape == (10, 3, 32, 32) and y.tolist() == sum((records[f"data_batch_{i}.bin"][0].tolist() for i in range(1, 6)), [])
    xt, yt = download.cifar10("test", root=tmp_path / "data", mirrors=[], files=files)
    expected = torch.tensor(records["test_batch.bin"][1][0].reshape(3, 32, 32), dtype=torch.float32) / 255
    assert torch.allclose(xt[0], expected) and yt.tolist() == records["test_batch.bin"][0].tolist()


def test_official_checksums_are_recorded():
    for table in (download.MNIST_FILES, download.FASHION_FILES, download.CIFAR10_FILES):
        assert all(len(v) == 32 and int(v, 16) >= 0 for v in table.values())
