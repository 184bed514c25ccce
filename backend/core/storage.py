"""Content-addressed file store: the path of a file is its SHA-256, so the same bytes are
stored once and a stored file can never be overwritten by different content."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class FileTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class StoredFile:
    """A file written to the store's staging area, hashed, not yet published."""

    def __init__(self, store: BlobStore, temp_path: Path, sha256: str, size: int) -> None:
        self.store = store
        self.temp_path = temp_path
        self.sha256 = sha256
        self.size = size

    def head(self, n: int = 1024) -> bytes:
        with open(self.temp_path, "rb") as fh:
            return fh.read(n)

    def publish(self) -> Path:
        """Move into place (atomic rename); identical content already there is kept."""
        target = self.store.path(self.sha256)
        if target.exists():
            self.discard()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.temp_path, target)
        return target

    def discard(self) -> None:
        self.temp_path.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.staging = self.root / "staging"
        self.staging.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def stage(self, stream: BinaryIO, max_size: int) -> StoredFile:
        """Copy a stream to staging while hashing it; refuse it past ``max_size`` bytes."""
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.staging)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise FileTooLarge(max_size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return StoredFile(self, Path(name), digest.hexdigest(), size)

    def put_bytes(self, data: bytes) -> str:
        import io

        staged = self.stage(io.BytesIO(data), max_size=len(data))
        staged.publish()
        return staged.sha256
