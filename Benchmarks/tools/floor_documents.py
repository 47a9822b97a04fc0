"""The documents both storage floors write (storage-floor.py, postgres-floor.py): every record
file under some folders, in batches of 250 as the current row and a history row each."""
import hashlib, json, os


def documents(folders):
    docs = []
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".json"):
                with open(os.path.join(folder, name), "rb") as f:
                    docs.append(json.loads(f.read()))
    return docs


def batches(docs, size=250):
    """Yields (rows, history) per batch: rows of (uscc, region, 1, seq, text, sha256, at),
    history rows of (uscc, 1, seq, text, at), text being the canonical document."""
    seq = 0
    for i in range(0, len(docs), size):
        rows, history = [], []
        for doc in docs[i:i + size]:
            seq += 1
            text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()
            rows.append((doc.get("uscc"), doc.get("region", ""), 1, seq, text, digest, "2026-12-05T00:00:00Z"))
            history.append((doc.get("uscc"), 1, seq, text, "2026-12-05T00:00:00Z"))
        yield rows, history
