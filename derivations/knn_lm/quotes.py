"""Problem 11, the results the text quotes from the papers (printed from here, listed in the appendix)."""

from __future__ import annotations

from derivations.quotes import Quote

KNN = "khandelwal2020generalization"

QUOTES = (
    Quote("p11.base_ppl", "18.65", KNN, "Table 1", "test perplexity of the base Transformer LM, WikiText-103"),
    Quote("p11.knn_ppl", "16.12", KNN, "Table 1", "test perplexity with the kNN-LM, WikiText-103"),
    Quote("p11.cache_ppl", "15.79", KNN, "Table 1", "test perplexity, kNN-LM plus continuous cache"),
    Quote("p11.wiki100m_ppl", "19.59", KNN, "Table 3", "test perplexity, LM trained on Wiki-100M"),
    Quote("p11.wiki3b_store_ppl", "13.73", KNN, "Table 3", "the same LM with a Wiki-3B datastore"),
    Quote("p11.lambda", "0.25", KNN, "Section 5", "interpolation weight optimal on WikiText-103"),
    Quote("p11.k", "1024", KNN, "Section 3", "neighbours retrieved per query"),
    Quote("p11.key_dim", "1024", KNN, "Section 3", "dimension of the keys (input to the final FFN)"),
    Quote("p11.datastore", "103M", KNN, "Section 3", "tokens of WikiText-103 training text (datastore entries)"),
    Quote("p11.faiss_centroids", "4096", KNN, "Section 3", "IVF centroids of the FAISS index"),
    Quote("p11.faiss_train_keys", "1M", KNN, "Section 3", "keys sampled to learn the centroids"),
    Quote("p11.faiss_code", "64", KNN, "Section 3", "bytes per quantised key"),
    Quote("p11.faiss_probe", "32", KNN, "Section 3", "centroids looked up per query"),
)
