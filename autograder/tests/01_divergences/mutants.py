"""Plausible wrong answers to 01_divergences; each must lose points where it says.

``misconception=True`` marks a question's central misconception: the public checks (what
``grader.check`` runs before the deadline) must catch it, not only the hidden tests.
"""
from autograder.mutants import Mutant

KL_NORMAL = "return torch.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5"
JS_TERMS = "return (a * (torch.log(a) - torch.log(a + b) + math.log(2))).sum()"
JS_BODY = """    def kl_to_mixture(a, b):
        \"\"\"KL(a || (a + b) / 2), keeping only the entries where a > 0 (0 log 0 = 0).\"\"\"
        keep = a > 0
        a, b = a[keep], b[keep]
        return (a * (torch.log(a) - torch.log(a + b) + math.log(2))).sum()

    return 0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)"""
W1_SORTED = "return (torch.sort(x).values - torch.sort(y).values).abs().mean()"

MUTANTS = [
    # kl_normal
    Mutant("kl_wrong_direction", "KL(q || p): the two Gaussians swapped in the closed form",
           {KL_NORMAL: "return torch.log(sigma1 / sigma2) + (sigma2**2 + (mu1 - mu2) ** 2) / (2 * sigma1**2) - 0.5"},
           ["kl_normal"], misconception=True),
    Mutant("kl_sign_of_constant", "+ 1/2 instead of - 1/2",
           {"(2 * sigma2**2) - 0.5": "(2 * sigma2**2) + 0.5"}, ["kl_normal"]),
    Mutant("kl_math_log", "math.log instead of torch.log: works on one number, not on a batch",
           {"return torch.log(sigma2 / sigma1)": "return math.log(sigma2 / sigma1)"}, ["kl_normal"], misconception=True),
    Mutant("kl_log_of_variances", "log of the variance ratio without the 1/2",
           {"return torch.log(sigma2 / sigma1)": "return torch.log(sigma2**2 / sigma1**2)"}, ["kl_normal"]),
    # kl_monte_carlo
    Mutant("kl_mc_samples_from_q", "Monte Carlo samples drawn from q instead of p",
           {"x = p.sample((n,))": "x = q.sample((n,))"}, ["kl_monte_carlo"], misconception=True),
    Mutant("kl_mc_reversed_log_ratio", "log q - log p",
           {"return (p.log_prob(x) - q.log_prob(x)).mean()": "return (q.log_prob(x) - p.log_prob(x)).mean()"},
           ["kl_monte_carlo"], misconception=True),
    Mutant("kl_mc_reverse_kl", "estimates KL(q || p): samples of q and log q - log p (right for symmetric pairs only)",
           {"x = p.sample((n,))\n    return (p.log_prob(x) - q.log_prob(x)).mean()":
            "x = q.sample((n,))\n    return (q.log_prob(x) - p.log_prob(x)).mean()"}, ["kl_monte_carlo"], misconception=True),
    Mutant("kl_mc_sum", "sum over the samples instead of the mean",
           {"return (p.log_prob(x) - q.log_prob(x)).mean()": "return (p.log_prob(x) - q.log_prob(x)).sum()"},
           ["kl_monte_carlo"]),
    # kl_fits
    Mutant("forward_fit_unbiased_std", "forward fit with the n - 1 standard deviation",
           {"sigma = ((samples - mu) ** 2).mean().sqrt()": "sigma = samples.std()"}, ["kl_fits"], misconception=True),
    Mutant("forward_fit_returns_tensors", "returns 0-d tensors where floats are asked",
           {"return float(mu), float(sigma)": "return mu, sigma"}, ["kl_fits"], misconception=True),
    Mutant("reverse_fit_without_reparameterisation", "samples detached: no gradient through z",
           {"z = mu + sigma * torch.randn(n_samples)": "z = (mu + sigma * torch.randn(n_samples)).detach()"},
           ["kl_fits"], misconception=True),
    Mutant("reverse_fit_uses_forward_kl", "the reverse fit maximises the likelihood of samples of p (the forward KL)",
           {"z = mu + sigma * torch.randn(n_samples)\n        loss = (Normal(mu, sigma).log_prob(z) - p.log_prob(z)).mean()":
            "z = p.sample((n_samples,))\n        loss = -Normal(mu, sigma).log_prob(z).mean()"}, ["kl_fits"], misconception=True),
    Mutant("reverse_fit_returns_log_sigma", "returns log sigma instead of sigma",
           {"return mu.item(), log_sigma.exp().item()": "return mu.item(), log_sigma.item()"}, ["kl_fits"]),
    # js_divergence
    Mutant("js_without_mixture", "KL of each distribution against the other instead of against m",
           {JS_TERMS: "return (a * (torch.log(a) - torch.log(b + 1e-12))).sum()"}, ["js_divergence"], misconception=True),
    Mutant("js_log_base_2", "bits instead of nats",
           {"return 0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)":
            "return (0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)) / math.log(2)"}, ["js_divergence"]),
    Mutant("js_no_zero_convention", "0 log 0 computed as NaN (no mask)",
           {"        keep = a > 0\n        a, b = a[keep], b[keep]\n": ""}, ["js_divergence"], misconception=True),
    Mutant("js_mixture_underflows", "m = (p + q) / 2 then log m: a denormal p gives log 0 = -inf",
           {"torch.log(a + b) + math.log(2)": "torch.log((a + b) / 2)"}, ["js_divergence"], misconception=True),
    Mutant("js_where_nan_gradient", "torch.where(a > 0, ...): right values, NaN gradients where a = 0",
           {JS_BODY: """    def kl_to_mixture(a, b):
        terms = a * (torch.log(a) - torch.log(a + b) + math.log(2))
        return torch.where(a > 0, terms, torch.zeros_like(a)).sum()

    return 0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)"""}, ["js_divergence"], misconception=True),
    # parallel_lines
    Mutant("parallel_lines_ignores_theta_zero", "theta = 0 treated like any other theta",
           {"    if theta == 0:\n        return {\"kl\": 0.0, \"js\": 0.0, \"w1\": 0.0}\n": ""},
           ["parallel_lines"], misconception=True),
    Mutant("parallel_lines_signed_w1", "W1 = theta instead of |theta|",
           {"\"w1\": abs(float(theta))": "\"w1\": float(theta)"}, ["parallel_lines"], misconception=True),
    Mutant("parallel_lines_tensors", "0-d tensors where floats are asked",
           {"return {\"kl\": math.inf, \"js\": math.log(2), \"w1\": abs(float(theta))}":
            "return {\"kl\": torch.tensor(math.inf), \"js\": torch.log(torch.tensor(2.0)), \"w1\": torch.tensor(abs(float(theta)))}"},
           ["parallel_lines"], misconception=True),
    # w1_sorted, w1_cdf
    Mutant("w1_unsorted", "pairs the samples in the given order",
           {W1_SORTED: "return (x - y).abs().mean()"}, ["w1_sorted"], misconception=True),
    Mutant("w1_sorted_squared", "mean squared difference of the sorted samples (W2 squared)",
           {W1_SORTED: "return ((torch.sort(x).values - torch.sort(y).values) ** 2).mean()"}, ["w1_sorted"]),
    Mutant("w1_cdf_ignores_sizes", "CDF steps normalised by the size of the other sample",
           {"fy = torch.searchsorted(torch.sort(y).values, left, right=True) / len(y)":
            "fy = torch.searchsorted(torch.sort(y).values, left, right=True) / len(x)"}, ["w1_cdf"], misconception=True),
    Mutant("w1_cdf_strict_inequality", "F(t) counts the points below t, not those at or below it",
           {"fx = torch.searchsorted(torch.sort(x).values, left, right=True) / len(x)":
            "fx = torch.searchsorted(torch.sort(x).values, left, right=False) / len(x)",
            "fy = torch.searchsorted(torch.sort(y).values, left, right=True) / len(y)":
            "fy = torch.searchsorted(torch.sort(y).values, left, right=False) / len(y)"}, ["w1_cdf"]),
    # w2_gaussian
    Mutant("w2_without_matrix_sqrt", "trace of S1 + S2 - 2 (S2^1/2 S1 S2^1/2) without the square root",
           {"cross = sqrtm_psd(root2 @ S1 @ root2)": "cross = root2 @ S1 @ root2"}, ["w2_gaussian"], misconception=True),
    Mutant("w2_product_of_roots", "S1^1/2 S2^1/2 for the cross term: right only when the covariances commute",
           {"cross = sqrtm_psd(root2 @ S1 @ root2)": "cross = sqrtm_psd(S1) @ root2"}, ["w2_gaussian"], misconception=True),
    Mutant("w2_squared", "returns W2 squared",
           {"return squared.clamp_min(0).sqrt()": "return squared.clamp_min(0)"}, ["w2_gaussian"]),
    Mutant("sqrtm_transposed", "U^T diag U instead of U diag U^T",
           {"return eigvecs @ torch.diag(eigvals.clamp_min(0).sqrt()) @ eigvecs.T":
            "return eigvecs.T @ torch.diag(eigvals.clamp_min(0).sqrt()) @ eigvecs"}, ["w2_gaussian"]),
    # gradient_penalty
    Mutant("penalty_on_real_points", "gradient penalty at x instead of interpolates",
           {"x_hat = (eps * x + (1 - eps) * y).requires_grad_(True)": "x_hat = x.clone().requires_grad_(True)"},
           ["gradient_penalty"], misconception=True),
    Mutant("penalty_without_create_graph", "the penalty's gradient is not part of the graph: it cannot be back-propagated",
           {"(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)":
            "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)"}, ["gradient_penalty"], misconception=True),
    Mutant("penalty_one_epsilon", "one epsilon for the whole batch",
           {"eps = torch.rand(len(x), 1)\n    x_hat = (eps * x + (1 - eps) * y).requires_grad_(True)":
            "eps = torch.rand(1)\n    x_hat = (eps * x + (1 - eps) * y).requires_grad_(True)"}, ["gradient_penalty"]),
    Mutant("penalty_norm_of_the_batch", "one gradient norm for the whole batch instead of one per sample",
           {"return ((grad.norm(dim=1) - 1) ** 2).mean()": "return (grad.norm() - 1) ** 2"}, ["gradient_penalty"]),
    # w1_dual
    Mutant("critic_without_lipschitz_constraint", "gradient penalty never added",
           {"loss = loss + lam * gradient_penalty(critic, xb, yb)": "loss = loss"}, ["w1_dual"], misconception=True),
    Mutant("critic_minimises_the_gap", "the critic minimises E f(x) - E f(y)",
           {"loss = -(critic(xb).mean() - critic(yb).mean())": "loss = critic(xb).mean() - critic(yb).mean()"},
           ["w1_dual"]),
    Mutant("no_weight_clipping", "the clipped critic is never clipped",
           {"                    param.clamp_(-clip, clip)\n": "                    pass\n"}, ["w1_dual"], misconception=True),
    Mutant("clipping_before_the_step", "weights clipped at the start of each step, so the last update stays unclipped",
           {"    for _ in range(steps):\n        xb = x[torch.randint(len(x), (batch_size,))]":
            "    for _ in range(steps):\n        if constraint == \"clip\":\n            with torch.no_grad():\n"
            "                for param in critic.parameters():\n                    param.clamp_(-clip, clip)\n"
            "        xb = x[torch.randint(len(x), (batch_size,))]",
            "        if constraint == \"clip\":\n            with torch.no_grad():\n                for param in critic.parameters():\n"
            "                    param.clamp_(-clip, clip)\n    return critic": "    return critic"},
           ["w1_dual"]),
    Mutant("dual_estimate_not_rescaled", "raw critic gap, no division by the slope",
           {"return float(gap / grad.norm(dim=1).mean())": "return float(gap)"}, ["w1_dual"], misconception=True),
    Mutant("dual_estimate_tensor", "returns a 0-d tensor where a float is asked",
           {"return float(gap / grad.norm(dim=1).mean())": "return gap / grad.norm(dim=1).mean()"},
           ["w1_dual"], misconception=True),
    # correct answers written another way: they must keep full marks (loses=[])
    Mutant("kl_normal_with_torch_distributions", "torch.distributions' kl_divergence instead of the closed form",
           {KL_NORMAL: "return torch.distributions.kl_divergence(Normal(mu1, sigma1), Normal(mu2, sigma2))"}, []),
    Mutant("forward_fit_with_std", "the population standard deviation from Tensor.std",
           {"sigma = ((samples - mu) ** 2).mean().sqrt()": "sigma = samples.std(unbiased=False)"}, []),
    Mutant("w1_sorted_with_a_loop", "a Python loop over the sorted pairs",
           {W1_SORTED: "return torch.stack([(a - b).abs() for a, b in zip(torch.sort(x).values, torch.sort(y).values)]).mean()"},
           []),
    Mutant("gradient_penalty_with_grad_outputs", "autograd.grad with grad_outputs instead of a sum",
           {"(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)":
            "(grad,) = torch.autograd.grad(critic(x_hat), x_hat, grad_outputs=torch.ones(len(x), 1), create_graph=True)"}, []),
]
