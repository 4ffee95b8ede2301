"""cu.download.stl10 on a small archive in the real binary format, written by the test."""
import io
import tarfile

import numpy as np
import pytest
import torch

from course_utils import download


def _archive(path, n_train=3, n_test=2, n_unlabeled=4, seed=0):
    """An stl10_binary.tar.gz like the real one: uint8 images stored channel by channel, each
    channel column-major (96 x 96), labels 1..10 as uint8."""
    rng = np.random.default_rng(seed)
    images = {s: rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
              for s, n in (("train", n_train), ("test", n_test), ("unlabeled", n_unlabeled))}
    labels = {s: rng.integers(1, 11, n, dtype=np.uint8) for s, n in (("train", n_train), ("test", n_test))}
    members = {f"{s}_X.bin": x.transpose(0, 1, 3, 2).tobytes() for s, x in images.items()}
    members.update({f"{s}_y.bin": y.tobytes() for s, y in labels.items()})
    members["class_names.txt"] = b"airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"stl10_binary/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return images, labels


def test_reads_the_binary_format(tmp_path):
    folder = tmp_path / "stl10"
    folder.mkdir()
    images, labels = _archive(folder / "stl10_binary.tar.gz")
    files = {"stl10_binary.tar.gz": download.md5(folder / "stl10_binary.tar.gz")}
    for split in ("train", "test"):
        x, y = download.stl10(split, root=tmp_path, files=files, mirrors=[])
        assert x.shape == (len(images[split]), 3, 96, 96) and x.dtype == torch.float32
        assert torch.equal(x, torch.from_numpy(images[split]).float() / 255)  # rows are rows
        assert torch.equal(y, torch.from_numpy(labels[split].astype(np.int64) - 1))
    x, y = download.stl10("unlabeled", root=tmp_path, files=files, mirrors=[], limit=2)
    assert torch.equal(x, torch.from_numpy(images["unlabeled"][:2]).float() / 255)
    assert torch.equal(y, torch.full((2,), -1))


def test_downloads_from_a_mirror_and_checks_the_checksum(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    images, _ = _archive(mirror / "stl10_binary.tar.gz", seed=1)
    files = {"stl10_binary.tar.gz": download.md5(mirror / "stl10_binary.tar.gz")}
    x, _ = download.stl10("test", root=tmp_path / "data", files=files, mirrors=[mirror.as_uri() + "/"])
    assert torch.equal(x, torch.from_numpy(images["test"]).float() / 255)
    wrong = {"stl10_binary.tar.gz": "0" * 32}
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        download.stl10("test", root=tmp_path / "other", files=wrong, mirrors=[mirror.as_uri() + "/"])
    assert not (tmp_path / "other" / "stl10" / "stl10_binary.tar.gz").exists()


def test_the_real_checksum_is_the_published_one():
    assert download.FILES["stl10"] == {"stl10_binary.tar.gz": "91f7769df0f17e558f3565bffb0c7dfb"}
