"""Plausible wrong answers for 05_ssl; each must lose points in the questions listed.

``misconception=True`` marks a question's central misconception: the public checks must catch it.
"""
from autograder.mutants import Mutant

MUTANTS = [
    Mutant("nt_xent_no_diagonal_mask", "the anchor's similarity to itself stays in the denominator",
           replace={"    logits = logits.masked_fill(self_mask, float(\"-inf\"))\n": ""},
           loses=["nt_xent"], misconception=True),
    Mutant("nt_xent_temperature_multiplied", "logits multiplied by the temperature instead of divided",
           replace={"logits = z @ z.T / temperature": "logits = z @ z.T * temperature"},
           loses=["nt_xent"], misconception=True),
    Mutant("nt_xent_one_direction", "only the first view's N anchors are averaged",
           replace={"return F.cross_entropy(logits, positives)": "return F.cross_entropy(logits[:n], positives[:n])"},
           loses=["nt_xent"], misconception=True),
    Mutant("byol_gradient_through_target", "no stop-gradient: the target network receives gradients",
           replace={"        t1, t2 = t1.detach(), t2.detach()\n": "        pass\n"},
           loses=["byol"], misconception=True),
    Mutant("byol_ema_weights_swapped", "EMA with tau and 1 - tau exchanged",
           replace={"t.mul_(tau).add_(o, alpha=1 - tau)": "t.mul_(1 - tau).add_(o, alpha=tau)"},
           loses=["byol"], misconception=True),
    Mutant("byol_loss_unnormalised", "plain squared error between unnormalised p and z",
           replace={"return (2 - 2 * F.cosine_similarity(p, z, dim=1)).mean()": "return ((p - z) ** 2).sum(1).mean()"},
           loses=["byol"], misconception=True),
    Mutant("barlow_no_off_diagonal", "the redundancy-reduction term is missing",
           replace={"return invariance + lam * redundancy": "return invariance"},
           loses=["barlow"], misconception=True),
    Mutant("barlow_not_centred", "dimensions scaled by their std but not centred",
           replace={"a = (z1 - z1.mean(0)) / (z1.std(0, unbiased=False) + eps)": "a = z1 / (z1.std(0, unbiased=False) + eps)",
                    "b = (z2 - z2.mean(0)) / (z2.std(0, unbiased=False) + eps)": "b = z2 / (z2.std(0, unbiased=False) + eps)"},
           loses=["barlow"], misconception=True),
    Mutant("effective_rank_of_squared_values", "entropy of the squared singular values (eigenvalues)",
           replace={"p = s / s.sum()": "p = s ** 2 / (s ** 2).sum()"},
           loses=["collapse"], misconception=True),
    Mutant("spread_not_normalised", "std of the raw embeddings, rows not normalised",
           replace={"return float(F.normalize(z.float(), dim=1).std(dim=0, unbiased=False).mean())":
                    "return float(z.float().std(dim=0, unbiased=False).mean())"},
           loses=["collapse"], misconception=True),
    Mutant("knn_euclidean", "nearest neighbours by dot product of unnormalised features",
           replace={"sim = F.normalize(test_features, dim=1) @ F.normalize(train_features, dim=1).T":
                    "sim = test_features @ train_features.T"},
           loses=["probes"], misconception=True),
    Mutant("augment_same_on_batch", "one affine transformation for the whole batch",
           replace={"shear=10.0, p=1.0)": "shear=10.0, p=1.0, same_on_batch=True)"},
           loses=["augment"], misconception=True),
    Mutant("head_without_batch_norm", "projection head without BatchNorm1d",
           replace={"nn.Linear(in_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True)":
                    "nn.Linear(in_dim, hidden_dim), nn.ReLU(inplace=True)"},
           loses=["projection_head"], misconception=True),
    Mutant("nt_xent_not_normalised", "dot products of the raw embeddings instead of cosine similarities",
           replace={"z = F.normalize(torch.cat([z1, z2]), dim=1)": "z = torch.cat([z1, z2])"}, loses=["nt_xent"]),
    Mutant("byol_one_direction", "only the first view predicts the second (the loss is not symmetrised)",
           replace={"return byol_loss(p1, t2) + byol_loss(p2, t1)": "return byol_loss(p1, t2)"}, loses=["byol"], misconception=True),
    Mutant("ema_update_rebinds_a_name", "the average is assigned to the loop variable: the target never changes",
           replace={"            t.mul_(tau).add_(o, alpha=1 - tau)": "            t = tau * t + (1 - tau) * o"},
           loses=["byol"], misconception=True),
    Mutant("barlow_unbiased_std", "dimensions standardised with the n - 1 standard deviation",
           replace={"a = (z1 - z1.mean(0)) / (z1.std(0, unbiased=False) + eps)": "a = (z1 - z1.mean(0)) / (z1.std(0) + eps)",
                    "b = (z2 - z2.mean(0)) / (z2.std(0, unbiased=False) + eps)": "b = (z2 - z2.mean(0)) / (z2.std(0) + eps)"},
           loses=["barlow"]),
    Mutant("collapse_returns_tensors", "0-d tensors where floats are asked",
           replace={"return float(F.normalize(z.float(), dim=1).std(dim=0, unbiased=False).mean())":
                    "return F.normalize(z.float(), dim=1).std(dim=0, unbiased=False).mean()"}, loses=["collapse"], misconception=True),
    Mutant("effective_rank_centred", "singular values of the centred embeddings",
           replace={"s = torch.linalg.svdvals(z.double())": "s = torch.linalg.svdvals(z.double() - z.double().mean(0))"}, loses=["collapse"]),
    Mutant("knn_unweighted", "a plain majority vote of the k neighbours",
           replace={"votes.scatter_add_(1, train_labels[idx], top)": "votes.scatter_add_(1, train_labels[idx], torch.ones_like(top))"},
           loses=["probes"], misconception=True),
    Mutant("few_labels_include_unlabelled", "label -1 counted as a class",
           replace={"for c in torch.unique(labels[labels >= 0]):": "for c in torch.unique(labels):"}, loses=["probes"], misconception=True),
    Mutant("few_labels_global_generator", "the draw ignores the seed (the global random generator)",
           replace={"picks.append(members[torch.randperm(len(members), generator=g)[:per_class]])":
                    "picks.append(members[torch.randperm(len(members))[:per_class]])"}, loses=["probes"]),
    Mutant("two_views_the_same", "one augmented view returned twice",
           replace={"return augment(x).clamp(0, 1), augment(x).clamp(0, 1)": "view = augment(x).clamp(0, 1)\n    return view, view"},
           loses=["augment"], misconception=True),
    Mutant("views_not_clamped", "views left outside [0, 1] after the noise",
           replace={"return augment(x).clamp(0, 1), augment(x).clamp(0, 1)": "return augment(x), augment(x)"}, loses=["augment"]),
    Mutant("head_relu_before_batch_norm", "ReLU before BatchNorm1d",
           replace={"nn.Linear(in_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True)":
                    "nn.Linear(in_dim, hidden_dim), nn.ReLU(inplace=True), nn.BatchNorm1d(hidden_dim)"}, loses=["projection_head"]),
    # correct answers written another way: they must keep full marks (loses=[])
    Mutant("nt_xent_with_logsumexp", "log-sum-exp and the positive's logit instead of cross_entropy",
           replace={"return F.cross_entropy(logits, positives)":
                    "return (torch.logsumexp(logits, dim=1) - logits[torch.arange(2 * n), positives]).mean()"}, loses=[]),
    Mutant("cross_correlation_with_einsum", "einsum for the cross-correlation",
           replace={"return a.T @ b / len(z1)": "return torch.einsum(\"ni,nj->ij\", a, b) / len(z1)"}, loses=[]),
    Mutant("knn_votes_in_a_loop", "the weighted votes added in Python loops",
           replace={"votes.scatter_add_(1, train_labels[idx], top)":
                    "for row in range(len(test_features)):\n        for j in range(k):\n"
                    "            votes[row, train_labels[idx[row, j]]] += top[row, j]"}, loses=[]),
]
