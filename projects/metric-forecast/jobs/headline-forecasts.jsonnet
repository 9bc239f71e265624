// Jobs `forecast-<indicator>`: one scheduled Job per headline indicator, generated with a
// Jsonnet function. Any spec file may be .jsonnet instead of .yaml; it evaluates to one
// document or, as here, a list of documents, each exactly like a YAML resource document.
// Jsonnet gets no network and no environment variables, and imports stay inside the repo.
//
// `${env.vars.registry}` is not Jsonnet syntax: it is a plain string here and strata
// interpolates it after merging, as in YAML files.

local forecastJob(indicator, minute, memory='4Gi', horizon=48) = {
  kind: 'Job',
  name: 'forecast-' + indicator,
  appType: 'batch-forecast',  // single pod, hourly schedule, Asia/Shanghai
  spec: {
    image: '${env.vars.registry}/forecast/prophet-runner:2.1.0',
    command: ['python', '-m', 'forecast.run'],
    args: ['--indicator', indicator, '--horizon', std.toString(horizon),
           '--data', '/data/metrics', '--out', '${project.vars.results_table}', '--alert'],
    resources: { memory: memory },
    datasets: [{ name: 'metrics-store', mountPath: '/data/metrics' }],
    // Stagger the runs over the hour so they do not all hit the NAS at once.
    schedule: { cron: '%d * * * *' % minute },
  },
};

[
  forecastJob('gmv', minute=10, horizon=72),
  forecastJob('orders', minute=15),
  forecastJob('dau', minute=20, memory='8Gi'),
  forecastJob('refund-rate', minute=25),
]
