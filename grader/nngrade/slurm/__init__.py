"""Grading a class on a Slurm cluster: one job-array task per shard, then one merge job.

nngrade does not schedule anything itself; Slurm does. ``nngrade slurm``
only writes two batch scripts into ``OUT/slurm/`` (and with ``--submit``
hands them to ``sbatch``):

- ``grade.sbatch``, a job array whose task K runs ``nngrade grade
  SUBMISSIONS --out OUT --shard K/N`` with the plan's seed and options, and
  records how it ended in ``OUT/slurm/shards/K.json``;
- ``merge.sbatch``, submitted with ``--dependency=afterany:<array>``, which
  runs ``nngrade merge OUT`` once every task has ended.

``nngrade slurm status OUT`` reads those records and what Slurm still knows
(squeue, sacct where accounting is on) and ``nngrade slurm rerun OUT``
submits the failed shards again with a new merge job. A rerun shard resumes:
students it already graded are skipped by ``nngrade grade``.

Modules: `nngrade.slurm.plan` decides the numbers (shards, time limit,
memory, the seed every shard shares), `nngrade.slurm.scripts` writes the
batch scripts, `nngrade.slurm.jobs` submits them and keeps
``OUT/slurm/jobs.json``, `nngrade.slurm.status` reports, and
`nngrade.slurm.command` is the click group.
"""
