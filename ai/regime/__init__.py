"""HMM regime detection: features, model, forward filter, model store, history, gate."""
