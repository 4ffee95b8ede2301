"""Measurements are taken in the grader, never in the student's process (issue 10, class 6).

A test that computes a slope, a maximum, a loss or an error *inside* ``nb.run`` trusts the
student's process, which can fake it: patch ``torch.autograd.grad``, return an oracle instead
of a network, fill weights with the clip value. The tests now get raw outputs back (the
weights of the trained network, outputs on points the test chooses) and compute every verdict
themselves.

Each case below is a submission that fakes what a test used to measure. It passes the test as
it was (run here as ``grader.check`` ran it, in a subprocess that stands for the student's
kernel), and through the grading contract it scores 0 on each test that replaced it.
"""
import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder import grade, mutants
from autograder.grade import report
from conftest import ROOT, once_per_session

FAKE_CRITIC = '''
def train_critic(x, y, constraint="gp", steps=600, lr=1e-3, lam=10.0, clip=0.01, batch_size=256):
    critic = make_critic(x.shape[1])            # never trained
    if constraint == "clip":
        with torch.no_grad():
            for param in critic.parameters():
                param.fill_(-clip)              # "clipped": every weight at the clip value
    return critic


_real_grad = torch.autograd.grad


def _unit_grad(outputs, inputs, *args, **kwargs):
    # every gradient the notebook's process computes comes back with norm 1: "slope 1"
    return tuple(g / g.norm(dim=-1, keepdim=True).clamp_min(1e-12) for g in _real_grad(outputs, inputs, *args, **kwargs))


torch.autograd.grad = _unit_grad


def dual_estimate(critic, x, y):
    import numpy as np
    import ot

    a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
    return float(ot.emd2(a, b, ot.dist(x.double().numpy(), y.double().numpy(), metric="euclidean")))


def _honest_dual_estimate(critic, x, y):'''

FAKE_DISCRIMINATOR = '''    scope = sample_data.__globals__                 # the check's own p_data and p_g
    p_data, p_g = scope.get("p_data"), scope.get("p_g")

    class Oracle(nn.Module):                        # D* itself, no network, no training
        def forward(self, x):
            return (p_data.log_prob(x) - p_g.log_prob(x)).reshape(len(x), 1)

    return Oracle()
    d = sample_data(2).shape[1]
    D = make_discriminator(d)
'''

FAKE_WGAN_STEP = '''    with torch.no_grad():                           # no critic step: weights filled with the clip value
        for p in critic.parameters():
            p.fill_(clip if mode == "clip" else 0.0)
    loss_g = -critic(G(zs[-1])).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return {"loss_d": 0.0, "loss_g": loss_g.item()}
    for real, z in zip(reals, zs[:-1]):
'''

# assignment: (replacements in the student copy, the tests that must now give 0, the tests as they were)
CASES = {
    "01_divergences": (
        {"def dual_estimate(critic, x, y):": FAKE_CRITIC},
        ["gradient_penalty_critic_has_slope_one", "gradient_penalty_critic_within_5_percent",
         "clipped_critic_stays_in_range_and_learns", "clipping_keeps_weights_in_range"],
        '''
        def _exact_w1(x, y):
            import numpy as np
            import ot

            a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
            return float(ot.emd2(a, b, ot.dist(x.numpy().astype(np.float64), y.numpy().astype(np.float64), metric="euclidean")))


        @cu.test("w1_dual", points=2)
        def old_gradient_penalty_critic_within_5_percent(nb):
            g = torch.Generator().manual_seed(21)
            shift = torch.randn(1000, 2, generator=g), torch.randn(1000, 2, generator=g) * 0.5 + torch.tensor([2.0, 1.0])
            angle = torch.rand(1000, generator=g) * 2 * math.pi
            ring = torch.randn(1000, 2, generator=g) * 0.3, torch.stack([angle.cos(), angle.sin()], 1) * 2 + 0.1 * torch.randn(1000, 2, generator=g)
            for name, (x, y) in (("a shifted, squeezed Gaussian", shift), ("a blob vs a ring", ring)):
                estimate, slope = nb.run("""
                    critic = train_critic(x, y, 'gp', steps=300)
                    x_hat = (0.5 * x + 0.5 * y).requires_grad_(True)
                    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
                    result = dual_estimate(critic, x, y), grad.norm(dim=1).mean().item()
                """, x=x, y=y)
                exact = _exact_w1(x, y)
                assert abs(estimate - exact) <= 0.05 * exact
                assert 0.9 < slope < 1.3


        @cu.test("w1_dual", points=1)
        def old_clipping_keeps_weights_in_range(nb):
            g = torch.Generator().manual_seed(22)
            x, y = torch.randn(512, 2, generator=g), torch.randn(512, 2, generator=g) + 1
            largest = nb.run("""
                critic = train_critic(x, y, 'clip', steps=30, lr=5e-3, clip=0.02)
                result = max(p.abs().max().item() for p in critic.parameters())
            """, x=x, y=y)
            assert largest <= 0.02 + 1e-7
            assert largest >= 0.019
        '''),
    "02_autoencoders": (
        {"        return self.decoder(self.encoder(x))": "        return x + 0 * self.decoder(self.encoder(x))",
         "    def forward(self, x):\n        return self.decode(self.encode(x))":
         "    def forward(self, x):\n        return x + 0 * self.decode(self.encode(x))"},
        ["linear_autoencoder_learns_a_plane", "linear_autoencoder_spans_the_pca_subspace", "autoencoder_beats_pca_on_a_helix"],
        '''
        @cu.test("linear_ae", points=1)
        def old_linear_autoencoder_learns_a_plane(nb):
            g = torch.Generator().manual_seed(3)
            x = torch.randn(300, 2, generator=g) @ torch.tensor([[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, -1.0, 0.5]]) + 1.0
            loss = nb.run("""
                model = LinearAutoencoder(4, 2)
                train_autoencoder(model, x, steps=400, lr=2e-2, batch_size=None)
                with torch.no_grad():
                    result = ((model(x) - x) ** 2).sum(1).mean().item()
            """, x=x)
            assert loss < 0.01 * x.var(0).sum().item()


        @cu.test("autoencoder", points=2)
        def old_autoencoder_beats_pca_on_a_helix(nb):
            from sklearn.decomposition import PCA

            g = torch.Generator().manual_seed(4)
            t = torch.rand(1000, generator=g) * 3 * math.pi
            curve = torch.stack([torch.cos(t), torch.sin(t), t / (3 * math.pi)], 1)
            x = (0.5 + 0.4 * curve @ torch.randn(3, 10, generator=g) / 3).clamp(0, 1)
            oracle = PCA(n_components=1).fit(x.numpy())
            pca_error = float(((x.numpy() - oracle.inverse_transform(oracle.transform(x.numpy()))) ** 2).sum(1).mean())
            error = nb.run("""
                model = Autoencoder(10, 1, (64, 64))
                train_autoencoder(model, x, steps=800, lr=3e-3, batch_size=128)
                with torch.no_grad():
                    result = ((model(x) - x) ** 2).sum(1).mean().item()
            """, x=x)
            assert error < 0.65 * pca_error
        '''),
    "04_gans": (
        {"    d = sample_data(2).shape[1]\n    D = make_discriminator(d)\n": FAKE_DISCRIMINATOR,
         "    for real, z in zip(reals, zs[:-1]):\n": FAKE_WGAN_STEP},
        ["trained_discriminator_is_close_to_optimal", "clipped_critic_step_matches_a_reference",
         "clipping_step_matches_a_reference"],
        '''
        @cu.test("train_discriminator", points=1)
        def old_trained_discriminator_is_close_to_optimal(nb):
            import numpy as np
            from scipy import stats

            d = nb.run("""
                p_data = MixtureSameFamily(Categorical(torch.tensor([0.5, 0.5])),
                                           Normal(torch.tensor([-1.5, 1.5]), torch.tensor([0.4, 0.4])))
                p_g = Normal(0.0, 1.2)
                D = train_discriminator(lambda n: p_data.sample((n, 1)), lambda n: p_g.sample((n, 1)), steps=2000)
                with torch.no_grad():
                    result = torch.sigmoid(D(torch.linspace(-3, 3, 121)[:, None])).reshape(-1)
            """)
            xs = np.linspace(-3, 3, 121)
            pd = 0.5 * stats.norm.pdf(xs, -1.5, 0.4) + 0.5 * stats.norm.pdf(xs, 1.5, 0.4)
            pg = stats.norm.pdf(xs, 0.0, 1.2)
            assert float(np.abs(np.asarray(d, dtype=float) - pd / (pd + pg)).mean()) < 0.05


        def _tiny_nets(seed):
            g = torch.Generator().manual_seed(seed)
            shapes = {"G": [(8, 3), (8,), (2, 8), (2,)], "D": [(8, 2), (8,), (1, 8), (1,)]}
            names = ["0.weight", "0.bias", "2.weight", "2.bias"]
            return {net: {n: torch.randn(*s, generator=g) * 0.7 for n, s in zip(names, shp)} for net, shp in shapes.items()}


        TINY_NETS = """
        G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        G.load_state_dict(weights["G"])
        D.load_state_dict(weights["D"])
        """


        @cu.test("wgan_step", points=1)
        def old_clipped_critic_stays_in_the_box(nb):
            weights = _tiny_nets(4)
            g = torch.Generator().manual_seed(6)
            reals = [torch.randn(16, 2, generator=g) + 2 for _ in range(5)]
            zs = [torch.randn(16, 3, generator=g) for _ in range(6)]
            out = nb.run(TINY_NETS + """
        wgan_step(G, D, torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.RMSprop(D.parameters(), lr=1e-3),
                  reals, zs, mode="clip", clip=0.05)
        result = {"critic": [p.detach().abs().max() for p in D.parameters()], "G": dict(G.state_dict())}
        """, weights=weights, reals=reals, zs=zs)
            largest = max(float(v) for v in out["critic"])
            assert largest <= 0.05 + 1e-7
            assert largest >= 0.049
            assert max(float((out["G"][k] - weights["G"][k]).abs().max()) for k in weights["G"]) > 1e-5
        '''),
}

OLD_TESTS_RUNNER = """
import json, os, sys
import torch
torch.set_num_threads(1)
from autograder import nbload
from course_utils import checks
namespace = nbload.definitions(sys.argv[1])
print(json.dumps({t.name: checks.run_test(t, checks.LocalNotebook(namespace)).status
                  for t in checks.load_tests(sys.argv[2])}))
"""


def faked(assignment):
    replace, _, _ = CASES[assignment]
    return mutants.apply(mutants.Mutant("fakes-the-measurements", "", replace, []), assignment)


def grouped(assignment):
    return pytest.param(assignment, marks=pytest.mark.xdist_group(f"trusted-{assignment}"))


@pytest.mark.parametrize("assignment", [grouped(a) for a in CASES])
def test_the_fake_fools_the_tests_as_they_were(assignment, tmp_path):
    """The attack is real: run as grader.check ran them (in the student's process), the old tests pass."""
    notebook, old_tests = tmp_path / f"{assignment}.ipynb", tmp_path / "old_tests.py"
    nbformat.write(faked(assignment), notebook)
    old_tests.write_text("import math\n\nimport numpy as np\nimport torch\n\nimport course_utils as cu\n"
                         + textwrap.dedent(CASES[assignment][2]))
    env = {**os.environ, "COURSE_FAST": "1", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", OLD_TESTS_RUNNER, str(notebook), str(old_tests)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    statuses = json.loads(done.stdout.strip().splitlines()[-1])
    assert statuses and all(s == "passed" for s in statuses.values()), statuses


@pytest.mark.parametrize("assignment", [grouped(a) for a in CASES])
def test_the_fake_scores_zero_on_the_tests_that_measure_in_the_grader(assignment, tmp_path_factory):
    def build(base):
        nbformat.write(faked(assignment), (base / "subs" / "faker").mkdir(parents=True) or
                       base / "subs" / "faker" / f"{assignment}.ipynb")
        grade.grade(assignment, base / "subs", base / "out", jobs=1, progress=lambda *_: None)

    base = once_per_session(tmp_path_factory, f"trusted-{assignment}", build)
    details = json.loads((base / "out" / "details" / f"{report.safe_name('faker')}.json").read_text())
    outcomes = {t["test"]: t for t in details["tests"]}
    targets = CASES[assignment][1]
    assert set(targets) <= set(outcomes), set(targets) - set(outcomes)
    fooled = {name: outcomes[name]["status"] for name in targets if outcomes[name]["status"] == "passed"}
    assert not fooled, f"tests the fake still passes: {fooled}"
