"""Plausible wrong answers to 04_gans; each must lose points in the questions it names.

``misconception=True`` marks a question's central misconception: the public checks must catch it.
"""
from autograder.mutants import Mutant

MUTANTS = [
    Mutant("wrong_bce_target_for_fakes", "the discriminator labels generated samples as real (target 1)",
           {"return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()":
            "return F.softplus(-real_logits).mean() + F.softplus(-fake_logits).mean()"},
           ["gan_losses"], misconception=True),
    Mutant("non_saturating_with_fake_target", "the non-saturating generator loss uses the fake label 0",
           {"    return F.softplus(-fake_logits).mean()": "    return F.softplus(fake_logits).mean()"},
           ["gan_losses"], misconception=True),
    Mutant("log_of_sigmoid", "log(sigmoid(l)) instead of softplus: -inf once the sigmoid underflows",
           {"return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()":
            "return torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean()",
            "return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()":
            "return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()"},
           ["gan_losses"], misconception=True),
    Mutant("summed_not_averaged", "losses summed over the batch instead of averaged",
           {"return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()":
            "return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()"},
           ["gan_losses"]),
    Mutant("saturating_loss_sign", "the saturating loss as -E log(1 - D(G(z)))",
           {"        return -F.softplus(fake_logits).mean()": "        return F.softplus(fake_logits).mean()"}, ["gan_losses"]),
    Mutant("density_ratio_from_probabilities", "D* = p / (p + q) from exponentiated densities: NaN in the tails",
           {"return torch.sigmoid(p_data.log_prob(x) - p_g.log_prob(x))":
            "pd, pg = p_data.log_prob(x).exp(), p_g.log_prob(x).exp()\n    return pd / (pd + pg)"},
           ["optimal_discriminator"], misconception=True),
    Mutant("optimal_discriminator_inverted", "D* = p_g / (p_data + p_g)",
           {"return torch.sigmoid(p_data.log_prob(x) - p_g.log_prob(x))":
            "return torch.sigmoid(p_g.log_prob(x) - p_data.log_prob(x))"},
           ["optimal_discriminator"], misconception=True),
    Mutant("discriminator_never_steps", "the optimiser's step is missing: the discriminator stays random",
           {"        loss.backward()\n        opt.step()\n    return D": "        loss.backward()\n    return D"},
           ["train_discriminator"], misconception=True),
    Mutant("discriminator_trained_on_swapped_samplers", "the generator's samples labelled real and the data fake",
           {"loss = discriminator_loss(D(sample_data(batch_size)), D(sample_g(batch_size)))":
            "loss = discriminator_loss(D(sample_g(batch_size)), D(sample_data(batch_size)))"},
           ["train_discriminator"], misconception=True),
    Mutant("js_without_log4", "returns V(D*, G) / 2 and forgets the log 4",
           {"return (value + math.log(4)) / 2": "return value / 2"},
           ["js_from_discriminator"], misconception=True),
    Mutant("js_without_the_half", "JS = V(D*, G) + log 4, without the factor 1/2",
           {"return (value + math.log(4)) / 2": "return value + math.log(4)"}, ["js_from_discriminator"]),
    Mutant("js_samples_of_p_only", "both expectations taken over samples of p_data",
           {"x, y = p_data.sample((n,)), p_g.sample((n,))": "x, y = p_data.sample((n,)), p_data.sample((n,))"},
           ["js_from_discriminator"], misconception=True),
    Mutant("metric_counts_low_quality", "a mode counts as captured when any sample is nearest to it",
           {"counts = torch.bincount(nearest[good], minlength=len(centers))":
            "counts = torch.bincount(nearest, minlength=len(centers))"},
           ["mode_metrics"], misconception=True),
    Mutant("metric_one_std", "high quality within 1 standard deviation instead of 3",
           {"good = nearest_dist <= 3 * std": "good = nearest_dist <= std"},
           ["mode_metrics"]),
    Mutant("metric_squared_distance", "compares the squared distance with 3 std",
           {"good = nearest_dist <= 3 * std": "good = nearest_dist ** 2 <= 3 * std"},
           ["mode_metrics"]),
    Mutant("metric_tensor_types", "modes and high_quality returned as 0-d tensors, not an int and a float",
           {'return {"counts": counts, "modes": int((counts > 0).sum()), "high_quality": float(good.double().mean())}':
            'return {"counts": counts, "modes": (counts > 0).sum(), "high_quality": good.double().mean()}'},
           ["mode_metrics"], misconception=True),
    Mutant("detach_in_the_generator_step", "fakes detached in the generator step instead of the discriminator step",
           {"    loss_d = discriminator_loss(D(real), D(fake.detach()))\n    opt_d.zero_grad()\n    loss_d.backward()\n"
            "    opt_d.step()\n    loss_g = generator_loss(D(fake), saturating=saturating)":
            "    loss_d = discriminator_loss(D(real), D(fake))\n    opt_d.zero_grad()\n    loss_d.backward()\n"
            "    opt_d.step()\n    loss_g = generator_loss(D(fake.detach()), saturating=saturating)"},
           ["gan_step"], misconception=True),
    Mutant("generator_against_the_old_discriminator", "the generator's loss is computed before D's update",
           {"    fake = G(z)\n    loss_d = discriminator_loss(D(real), D(fake.detach()))\n    opt_d.zero_grad()\n"
            "    loss_d.backward()\n    opt_d.step()\n    loss_g = generator_loss(D(fake), saturating=saturating)\n":
            "    fake = G(z)\n    loss_g = generator_loss(D(fake), saturating=saturating)\n"
            "    loss_d = discriminator_loss(D(real), D(fake.detach()))\n    opt_d.zero_grad()\n"
            "    loss_d.backward()\n    opt_d.step()\n"},
           ["gan_step"], misconception=True),
    Mutant("saturating_flag_ignored", "gan_step always uses the non-saturating loss",
           {"loss_g = generator_loss(D(fake), saturating=saturating)": "loss_g = generator_loss(D(fake))"},
           ["gan_step"]),
    Mutant("gan_step_without_zero_grad", "the discriminator's gradients are not cleared before its step",
           {"    loss_d = discriminator_loss(D(real), D(fake.detach()))\n    opt_d.zero_grad()\n    loss_d.backward()\n    opt_d.step()\n    loss_g = generator_loss(D(fake), saturating=saturating)":
            "    loss_d = discriminator_loss(D(real), D(fake.detach()))\n    loss_d.backward()\n    opt_d.step()\n    loss_g = generator_loss(D(fake), saturating=saturating)"},
           ["gan_step"]),
    Mutant("unrolled_not_restored", "the look-ahead steps are kept: D takes k + 1 real steps",
           {"    D.load_state_dict(saved_d)\n    opt_d.load_state_dict(saved_opt)\n": ""},
           ["unrolled_gan_step"], misconception=True),
    Mutant("unrolled_optimizer_not_restored", "D's parameters are restored but not its optimiser's state",
           {"    opt_d.load_state_dict(saved_opt)\n": ""},
           ["unrolled_gan_step"], misconception=True),
    Mutant("no_look_ahead", "the generator steps before the unrolled discriminator steps (plain GAN)",
           {"    for real in reals[1:]:\n        ahead = discriminator_loss(D(real), D(fake.detach()))\n"
            "        opt_d.zero_grad()\n        ahead.backward()\n        opt_d.step()\n"
            "    loss_g = generator_loss(D(fake))\n    opt_g.zero_grad()\n    loss_g.backward()\n    opt_g.step()\n":
            "    loss_g = generator_loss(D(fake))\n    opt_g.zero_grad()\n    loss_g.backward()\n    opt_g.step()\n"
            "    for real in reals[1:]:\n        ahead = discriminator_loss(D(real), D(fake.detach()))\n"
            "        opt_d.zero_grad()\n        ahead.backward()\n        opt_d.step()\n"},
           ["unrolled_gan_step"], misconception=True),
    Mutant("unrolled_shallow_copy", "saves state_dict() without a deep copy: the restore is a no-op",
           {"saved_d, saved_opt = copy.deepcopy(D.state_dict()), copy.deepcopy(opt_d.state_dict())":
            "saved_d, saved_opt = D.state_dict(), opt_d.state_dict()"},
           ["unrolled_gan_step"], misconception=True),
    Mutant("penalty_at_real_points", "the gradient penalty is taken at the real samples, not at interpolates",
           {"x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)":
            "x_hat = real.clone().requires_grad_(True)"},
           ["wgan_gp_critic_loss"], misconception=True),
    Mutant("penalty_at_fake_points", "the gradient penalty is taken at the generated samples",
           {"x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)":
            "x_hat = fake.clone().requires_grad_(True)"},
           ["wgan_gp_critic_loss"]),
    Mutant("penalty_without_create_graph", "the penalty's gradient is not part of the graph",
           {"(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)":
            "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)"},
           ["wgan_gp_critic_loss"], misconception=True),
    Mutant("penalty_on_the_batch_norm", "one gradient norm for the whole batch instead of one per sample",
           {"penalty = ((grad.norm(dim=1) - 1) ** 2).mean()": "penalty = (grad.norm() - 1) ** 2"},
           ["wgan_gp_critic_loss"]),
    Mutant("critic_sign_flipped", "the critic minimises E f(real) - E f(fake)",
           {"return critic(fake).mean() - critic(real).mean() + lam * penalty":
            "return critic(real).mean() - critic(fake).mean() + lam * penalty"},
           ["wgan_gp_critic_loss"], misconception=True),
    Mutant("missing_n_critic", "one critic step per generator step instead of n_critic",
           {"for real, z in zip(reals, zs[:-1]):": "for real, z in zip(reals[:1], zs[:1]):"},
           ["wgan_step"], misconception=True),
    Mutant("no_clipping", "the clipped WGAN never clips",
           {"                    p.clamp_(-clip, clip)\n": "                    pass\n"},
           ["wgan_step"], misconception=True),
    Mutant("clip_before_the_step", "weights clipped before the critic's optimiser step, not after",
           {"        opt_c.zero_grad()\n        loss_c.backward()\n        opt_c.step()\n        if mode == \"clip\":\n"
            "            with torch.no_grad():\n                for p in critic.parameters():\n"
            "                    p.clamp_(-clip, clip)\n":
            "        if mode == \"clip\":\n            with torch.no_grad():\n                for p in critic.parameters():\n"
            "                    p.clamp_(-clip, clip)\n        opt_c.zero_grad()\n        loss_c.backward()\n        opt_c.step()\n"},
           ["wgan_step"]),
    Mutant("wgan_generator_uses_bce", "the WGAN generator minimises the GAN's non-saturating loss",
           {"loss_g = -critic(G(zs[-1])).mean()": "loss_g = generator_loss(critic(G(zs[-1])))"},
           ["wgan_step"], misconception=True),
    # correct answers written another way: they must keep full marks (loses=[])
    Mutant("discriminator_loss_with_bce", "F.binary_cross_entropy_with_logits with labels 1 and 0",
           {"return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()":
            "return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
            "            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))"}, []),
    Mutant("optimal_discriminator_with_logaddexp", "exp(log p_data - log(p_data + p_g)) with logaddexp",
           {"return torch.sigmoid(p_data.log_prob(x) - p_g.log_prob(x))":
            "log_d, log_g = p_data.log_prob(x), p_g.log_prob(x)\n    return torch.exp(log_d - torch.logaddexp(log_d, log_g))"}, []),
    Mutant("mode_counts_with_a_loop", "counts per mode in a Python loop",
           {"counts = torch.bincount(nearest[good], minlength=len(centers))":
            "counts = torch.stack([(nearest[good] == k).sum() for k in range(len(centers))])"}, []),
]
