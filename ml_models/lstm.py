"""An LSTM (torch) over sequences of multi-timeframe feature rows, behind the Model interface.

The sequence for row ``i`` is the standardised feature rows ``i - seq_len + 1 .. i``: each
row already carries every timeframe's point-in-time features, so the LSTM sees the
recent path of all timeframes at once. Standardisation statistics come from the
training rows only. Training is deterministic (``torch.manual_seed``, a seeded shuffle);
the ``profit`` objective weights each row's BCE by its absolute forward return, like the
XGBoost objective. Weights are saved with ``torch.save`` and loaded with
``weights_only=True`` (no arbitrary unpickling).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tradefleet.ml_models.model import Model, ModelCard

if TYPE_CHECKING:
    from tradefleet.ml_models.training.spec import TrainSpec

WEIGHTS = "lstm.pt"
CLIP = 5.0


def _net(n_features: int, hidden: int) -> Any:
    import torch
    from torch import nn

    class LSTMNet(nn.Module):
        """One LSTM layer, then a linear head on the last step's hidden state (a logit)."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(n_features, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1, :]).squeeze(-1)

    return LSTMNet()


class LSTMModel(Model):
    """An LSTM direction model; ``card.params`` holds ``lstm_seq_len`` and ``lstm_hidden``."""

    kind: ClassVar[str] = "lstm"

    def __init__(self, card: ModelCard, state: dict[str, Any]) -> None:
        super().__init__(card)
        import torch

        self._state = state
        self.seq_len = int(card.params["lstm_seq_len"])
        self.mean = state["mean"].numpy()
        self.std = state["std"].numpy()
        self.net = _net(self.mean.shape[0], int(card.params["lstm_hidden"]))
        self.net.load_state_dict({k: v for k, v in state.items() if k not in ("mean", "std")})
        self.net.eval()
        self._torch = torch

    @property
    def rows_needed(self) -> int:
        return self.seq_len

    def _sequences(self, X: np.ndarray, ends: np.ndarray) -> np.ndarray:
        Z = np.clip((np.asarray(X, dtype=np.float64) - self.mean) / self.std, -CLIP, CLIP).astype(np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(Z, self.seq_len, axis=0)  # (n-L+1, f, L)
        return np.ascontiguousarray(windows[ends - self.seq_len + 1].transpose(0, 2, 1))

    def raw_at(self, X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx)
        out = np.full(idx.shape[0], np.nan)
        ok = idx >= self.seq_len - 1
        if ok.any():
            with self._torch.no_grad():
                logits = self.net(self._torch.from_numpy(self._sequences(X, idx[ok])))
            out[ok] = 1.0 / (1.0 + np.exp(-logits.numpy().astype(np.float64)))
        return out

    def raw_series(self, X: np.ndarray) -> np.ndarray:
        return self.raw_at(X, np.arange(X.shape[0]))

    def artifact_files(self) -> dict[str, bytes]:
        buf = io.BytesIO()
        self._torch.save(self._state, buf)
        return {WEIGHTS: buf.getvalue()}

    @classmethod
    def from_artifact(cls, card: ModelCard, files: dict[str, bytes]) -> LSTMModel:
        import torch

        state = torch.load(io.BytesIO(files[WEIGHTS]), map_location="cpu", weights_only=True)
        return cls(card, state)


def fit_lstm(card: ModelCard, X: np.ndarray, y: np.ndarray, ret: np.ndarray, rows: np.ndarray,
             spec: TrainSpec, device: str = "cpu") -> LSTMModel:
    """Train an LSTM on the sequences ending at ``rows`` of the contiguous feature matrix ``X``."""
    import torch

    from tradefleet.ml_models.training.gbm import return_weights

    seq_len, hidden = spec.lstm_seq_len, spec.lstm_hidden
    rows = rows[rows >= seq_len - 1]
    mean = X[rows].mean(axis=0)
    std = X[rows].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    card = card.with_(params={**card.params, "lstm_seq_len": seq_len, "lstm_hidden": hidden})
    torch.manual_seed(spec.seed)
    net = _net(X.shape[1], hidden).to(device)
    shell = LSTMModel.__new__(LSTMModel)
    shell.seq_len, shell.mean, shell.std = seq_len, mean, std
    seqs = torch.from_numpy(LSTMModel._sequences(shell, X, rows)).to(device)
    target = torch.from_numpy(y[rows].astype(np.float32)).to(device)
    w = return_weights(ret[rows]) if spec.objective == "profit" else np.ones(len(rows))
    weight = torch.from_numpy(w.astype(np.float32)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(spec.seed)
    net.train()
    for _ in range(spec.lstm_epochs):
        for batch in torch.randperm(len(rows), generator=gen).split(256):
            batch = batch.to(device)
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(seqs[batch]), target[batch],
                                                                        weight=weight[batch])
            loss.backward()
            opt.step()
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    state["mean"] = torch.from_numpy(mean)
    state["std"] = torch.from_numpy(std)
    return LSTMModel(card, state)
