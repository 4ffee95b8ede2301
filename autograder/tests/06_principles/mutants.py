"""Plausible wrong answers to 06_principles; each must lose points in the questions named.
``misconception=True`` marks a question's central misconception: its public checks catch it."""
from autograder.mutants import Mutant

INFONCE = "    return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(n)"
LOG_PROB = 'return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)'
SAMPLE_STEP = "x[:, i] = torch.bernoulli(torch.sigmoid(model(x, c)[:, i]))"

MUTANTS = [
    Mutant("infonce_positive_not_in_denominator", "the denominator sums over the negatives only: the diagonal "
           "positives are left out (as NT-Xent leaves out the anchor), so the estimate can exceed log N",
           {INFONCE: "    negatives = scores.masked_fill(torch.eye(n, dtype=torch.bool), float(\"-inf\"))\n"
                     "    return (scores.diagonal() - torch.logsumexp(negatives, dim=1)).mean() + math.log(n)"},
           ["infonce"], misconception=True),
    Mutant("infonce_without_log_n", "the log N term is forgotten: the estimate is a negative cross-entropy",
           {INFONCE: "    return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean()"},
           ["infonce"]),
    Mutant("critic_is_the_conditional_density", "log p(y | x) instead of the density ratio log p(y | x) / p(y)",
           {"return (-0.5 * math.log(1 - r2) - (r2 * a**2 - 2 * rho * a * b + r2 * b**2) / (2 * (1 - r2))).sum(dim=-1)":
            "return (-0.5 * math.log(2 * math.pi * (1 - r2)) - (b - rho * a) ** 2 / (2 * (1 - r2))).sum(dim=-1)"},
           ["gaussian_critic"], misconception=True),
    Mutant("nll_summed_over_the_batch", "log-likelihoods summed over the batch instead of over the pixels",
           {LOG_PROB: LOG_PROB.replace("sum(dim=1)", "sum(dim=0)")},
           ["log_prob"], misconception=True),
    Mutant("log_prob_through_sigmoid", "log(sigmoid(logits)): -inf (clamped) for confident logits",
           {LOG_PROB: 'return -F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1).sum(dim=1)'},
           ["log_prob"]),
    Mutant("made_mask_off_by_one", "output mask with >= instead of >: pixel x_t sees x_t",
           {"masks.append((pixel_degrees[:, None] > degrees[-1][None, :]).float())":
            "masks.append((pixel_degrees[:, None] >= degrees[-1][None, :]).float())"},
           ["made_masks"], misconception=True),
    Mutant("made_degrees_are_the_ordering", "the ordering used as the degrees (pixel t gets degree ordering[t] + 1): "
           "the permutation confused with its inverse",
           {"pixel_degrees[ordering] = torch.arange(1, D + 1)": "pixel_degrees = torch.as_tensor(ordering) + 1"},
           ["made_masks"]),
    Mutant("condition_leaked_through_the_masks", "degrees concatenated as [class, pixels] while the inputs are "
           "[pixels, class]: the first pixels get degree 0 and see themselves",
           {"degrees = [torch.cat([pixel_degrees, torch.zeros(n_classes, dtype=torch.long)])]":
            "degrees = [torch.cat([torch.zeros(n_classes, dtype=torch.long), pixel_degrees])]"},
           ["made_masks"]),
    Mutant("made_forward_ignores_the_mask", "MaskedLinear uses the full weight matrix",
           {"return F.linear(x, self.weight * self.mask, self.bias)": "return F.linear(x, self.weight, self.bias)"},
           ["made"], misconception=True),
    Mutant("made_relu_on_the_logits", "a ReLU after the last layer: every pixel gets p >= 1/2",
           {"        return self.layers[-1](h)": "        return torch.relu(self.layers[-1](h))"},
           ["made"]),
    Mutant("sampling_ignores_the_ordering", "pixels drawn in raster order whatever the ordering",
           {"for i in ordering.tolist():": "for i in range(len(ordering)):"},
           ["sample"], misconception=True),
    Mutant("sampling_takes_the_likelier_value", "each pixel set to its more likely value instead of drawn",
           {SAMPLE_STEP: "x[:, i] = (model(x, c)[:, i] > 0).float()"},
           ["sample"]),
    Mutant("causal_mask_transposed", "the causal mask transposed: each position attends to the future",
           {"return torch.tril(everything)": "return torch.triu(everything)"},
           ["causal_masks"], misconception=True),
    Mutant("causal_inputs_not_shifted", "the image itself as the causal model's input: output t sees x_t",
           {"return torch.cat([start, x[:, :-1].long()], dim=1)": "return x.long()"},
           ["causal_masks"]),
    Mutant("attention_masked_after_the_softmax", "forbidden weights zeroed after the softmax: rows no longer sum to one",
           {'        scores = scores.masked_fill(~mask, float("-inf"))':
            "        return (torch.softmax(scores, dim=-1) * mask) @ v"},
           ["attention"], misconception=True),
    Mutant("hidden_pixels_keep_their_value", "mask_tokens marks the positions but leaves the pixel in the input",
           {"return x.long().masked_fill(hidden, MASK), hidden": "return x.long(), hidden"},
           ["mask_tokens"], misconception=True),
    Mutant("one_mask_for_the_whole_batch", "the same hidden positions in every row",
           {"chosen = torch.rand(n, d).argsort(dim=1)[:, :k]": "chosen = torch.rand(1, d).argsort(dim=1)[:, :k].expand(n, k)"},
           ["mask_tokens"]),
    Mutant("masked_count_truncated", "k = int(ratio * D) instead of round(...): one pixel short whenever the "
           "fraction is above one half",
           {"k = max(1, round(ratio * d))": "k = max(1, int(ratio * d))"},
           ["mask_tokens"]),
    Mutant("pseudo_likelihood_without_hiding", "each pixel predicted by a model that sees it",
           {"        tokens[:, i] = MASK": "        tokens[:, i] = tokens[:, i]"},
           ["pseudo_log_likelihood"], misconception=True),
    # correct answers written another way: they must keep full marks (loses=[])
    Mutant("infonce_as_cross_entropy", "log N minus the cross-entropy of picking the diagonal",
           {INFONCE: "    return math.log(n) - F.cross_entropy(scores, torch.arange(n))"}, []),
    Mutant("log_prob_with_logsigmoid", "x log sigmoid(l) + (1 - x) log sigmoid(-l), written out",
           {LOG_PROB: "return (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).flatten(1).sum(dim=1)"}, []),
    Mutant("causal_mask_from_positions", "the causal mask as a comparison of positions",
           {"return torch.tril(everything)": "return torch.arange(T)[:, None] >= torch.arange(T)[None, :]"}, []),
    Mutant("attention_with_torch_sdpa", "torch's scaled_dot_product_attention with the boolean mask",
           {"    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n"
            "    if mask is not None:\n"
            "        scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
            "    return torch.softmax(scores, dim=-1) @ v":
            "    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)"}, []),
    Mutant("sampling_with_uniforms", "each pixel drawn as uniform < sigmoid(logit) instead of torch.bernoulli",
           {SAMPLE_STEP: "x[:, i] = (torch.rand(n) < torch.sigmoid(model(x, c)[:, i])).float()"}, []),
    Mutant("mask_tokens_with_randperm", "one randperm per row instead of the argsort of uniforms",
           {"chosen = torch.rand(n, d).argsort(dim=1)[:, :k]":
            "chosen = torch.stack([torch.randperm(d)[:k] for _ in range(n)])"}, []),
]
