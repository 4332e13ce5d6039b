/**
 * autoglm-deploy: the command line. `--help` on every command; exit codes: 0 ok, 1 release (or rollback) failed
 * or rolled back, 2 invalid input, 3 another release of the service is running, 4 Temporal or the
 * release not reachable.
 */
import { Command, Option } from 'commander';
import { CliError, EXIT } from './exit-codes';
import { loadtest } from './loadtest';
import {
  drillRun,
  scheduleCreate,
  scheduleDelete,
  scheduleList,
  schedulePause,
  scheduleResume,
  scheduleTrigger,
  scheduleUpdate,
} from './drill';
import { modelUpload } from './model';
import { protectStart, protectStatus, protectStop } from './protect';
import { restore } from './restore';
import { rollback } from './rollback';
import { webhookServe } from './webhook';
import {
  readSpecFile,
  printSpecWarnings,
  releaseAbort,
  releasePause,
  releasePromote,
  releaseResume,
  releaseStart,
  releaseStatus,
  releaseWatch,
} from './release';

const program = new Command('autoglm-deploy')
  .description('GPU-aware canary releases of LLM inference services, on Temporal.')
  .addHelpText(
    'after',
    '\nTLS to Temporal: TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (mTLS), TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS=true.',
  )
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 release failed or rolled back (rollback: failed), 2 invalid input, 3 a release or rollback of the service is running, 4 Temporal or the release unreachable.',
  )
  .exitOverride();

const temporal = (cmd: Command) =>
  cmd
    .addOption(new Option('--temporal-address <host:port>', 'Temporal frontend').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace').env('TEMPORAL_NAMESPACE'))
    .addOption(new Option('--task-queue <name>', 'task queue of the worker').env('AUTOGLM_TASK_QUEUE'));
const service = (cmd: Command) =>
  temporal(cmd)
    .requiredOption('-s, --service <name>', 'the model service')
    .requiredOption('-n, --k8s-namespace <ns>', 'its Kubernetes namespace');

let exitCode: number = EXIT.ok;
const run =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes untyped args and options
  <A extends any[]>(fn: (...a: A) => Promise<number>) =>
    async (...args: A) => {
      exitCode = await fn(...args);
    };

const spec = program.command('spec').description('service spec files');
spec
  .command('validate <file>')
  .description('check a service spec (YAML or JSON); prints the problems, each naming its field')
  .option('--json', 'print the validated spec, defaults filled in')
  .action(
    run(async (file: string, o: { json?: boolean }) => {
      const s = readSpecFile(file);
      printSpecWarnings(s, file);
      console.log(
        o.json
          ? JSON.stringify(s)
          : `valid: ${s.namespace}/${s.service} ${s.version}, ${s.replicas} × ${s.gpu.perReplica} GPUs on pool ${s.gpu.pool}, ${s.rollout.steps.length} canary steps (${s.rollout.traffic.kind})`,
      );
      return EXIT.ok;
    }),
  );

const release = program.command('release').description('start and steer releases');
temporal(release.command('start <spec-file>').description('start a release of the spec (one per service at a time)'))
  .option('-w, --wait', 'follow it to the end; exit 1 if it fails or rolls back')
  .option('--json', 'JSON output')
  .option('--requested-by <who>', 'recorded as who asked for it (with mTLS: your certificate, cert:<CN>; else unverified:<who>)')
  .option('--image <ref>', "deploy this image instead of the spec's (a GitHub release's build)")
  .option('--version <version>', "the release's version instead of the spec's")
  .option('--github-repo <owner/repo>', 'report the release as a GitHub Deployment of this repository (the worker needs GITHUB_TOKEN)')
  .option('--github-ref <ref>', 'the tag or commit the Deployment is of')
  .option('--log-url <url>', 'linked from each deployment status')
  .option('--environment-url <url>', 'where the deployed service answers')
  .action(run((file: string, o) => releaseStart(file, o)));
service(release.command('status').description("the release's phase, step, weights and replicas"))
  .option('--json', 'JSON output')
  .action(run((o) => releaseStatus(o)));
service(release.command('watch').description('follow a release live until it ends'))
  .option('--json', 'JSON lines')
  .action(run((o) => releaseWatch(o)));

service(program.command('pause').description('hold a release at its next step boundary'))
  .option('--reason <text>', 'why')
  .action(run((o) => releasePause(o)));
service(program.command('resume').description('let a paused release go on')).action(run((o) => releaseResume(o)));
service(program.command('promote').description('pass a manual gate'))
  .option('--approver <who>', 'who approves (with mTLS: must be your certificate; recorded as cert:<CN>)')
  .action(run((o) => releasePromote(o)));
service(program.command('abort').description('stop a release and roll it back (traffic to stable first)'))
  .requiredOption('--reason <text>', 'why (recorded)')
  .option('--by <who>', 'who aborts (as --approver)')
  .action(run((o) => releaseAbort(o)));

service(
  program
    .command('rollback')
    .description(
      'on-call rollback: stop a release in flight and keep the revision it started from; with none in flight, put back the previous promoted revision (or --to) with traffic first',
    ),
)
  .requiredOption('--reason <text>', 'why (recorded in the history, the workflow and GitHub)')
  .option(
    '--to <revision>',
    'a revision or version from the history [in flight: the one serving when it started; else the one promoted before the serving one]',
  )
  .option('--by <who>', 'who asks [$GITHUB_ACTOR, $USER] (as --approver)')
  .option('--no-wait', 'start it and return')
  .option('--json', 'JSON lines')
  .action(run((o) => rollback(o)));

program
  .command('loadtest <spec-file>')
  .description("send the spec's load profile (or the defaults) to a model service and report TTFT, ITL, TPOT, E2E, goodput")
  .requiredOption('--url <url>', 'where the service answers (its Service, a gateway or a port-forward)')
  .option('--host <host>', 'Host header (a gateway route hostname)')
  .option('--mode <mode>', 'poisson | constant | concurrency')
  .option('--rate <req/s>', 'open-loop rate')
  .option('--concurrency <n>', 'closed-loop workers (mode concurrency)')
  .option('--duration <d>', 'how long, e.g. 30s, 5m')
  .option('--target <t>', 'service | canary (names the Service in the report)')
  .option('--markdown <file>', 'also write the Markdown report there')
  .option('--json', 'print the summary as JSON')
  .action(run((file: string, o) => loadtest(file, o)));

const drill = program
  .command('drill')
  .description('disaster-recovery drills: backup, restore into isolation, verify, RTO/RPO, report, clean up');
temporal(drill.command('run <drill-file>').description('run a drill now (YAML/JSON drill spec, see docs/dr-drills.md)'))
  .option('--no-wait', 'start it and return')
  .option('--json', 'JSON lines')
  .action(run((file: string, o) => drillRun(file, o)));
const schedule = drill.command('schedule').description('drills on a Temporal Schedule (overlapping runs are skipped)');
temporal(schedule.command('create <drill-file>').description('schedule drills of the spec'))
  .option('--every <interval>', 'e.g. 24h, 7d')
  .option('--cron <expr>', 'e.g. "0 3 * * 1"')
  .option('--paused', 'create it paused')
  .option('--note <text>', 'why (shown by list)')
  .action(run((file: string, o) => scheduleCreate(file, o)));
temporal(schedule.command('update <schedule-id>').description('change the spec and/or cadence'))
  .option('--spec <drill-file>', 'the new drill spec')
  .option('--every <interval>', 'new interval')
  .option('--cron <expr>', 'new cron expression')
  .action(run((id: string, o) => scheduleUpdate(id, o)));
temporal(schedule.command('pause <schedule-id>').description('stop starting drills'))
  .option('--note <text>', 'why')
  .action(run((id: string, o) => schedulePause(id, o)));
temporal(schedule.command('resume <schedule-id>').description('start drills again'))
  .option('--note <text>', 'why')
  .action(run((id: string, o) => scheduleResume(id, o)));
temporal(schedule.command('trigger <schedule-id>').description('start a drill of the schedule now')).action(
  run((id: string, o) => scheduleTrigger(id, o)),
);
temporal(schedule.command('delete <schedule-id>').description('remove the schedule (drills already run keep their history)')).action(
  run((id: string, o) => scheduleDelete(id, o)),
);
temporal(schedule.command('list').description('drill schedules: state, next and last run'))
  .option('--json', 'JSON output')
  .action(run((o) => scheduleList(o)));

service(
  program
    .command('restore')
    .description('bring a service back into production from its backup (newest whole one unless --backup), with live progress'),
)
  .option('--bucket <bucket>', 'the backup store: an S3 bucket (the worker reaches it as configured)')
  .option('--prefix <prefix>', "the store's prefix in the bucket")
  .option('--directory <path>', 'the backup store: a directory the worker reads')
  .option('--backup <id>', 'this backup [the newest whole one]')
  .option('--to-namespace <ns>', "restore into this namespace [the service's own]")
  .option('--replace', 'restore over a service that is serving (its objects are overwritten)')
  .option('--weights-to <s3-uri>', 'write the weights here (needed when the original place holds other weights)')
  .option('--timeout <d>', 'longest the restored pods may take to become Ready [10m]')
  .option('--by <who>', 'who asks [$USER]')
  .option('--no-wait', 'start it and return')
  .option('--json', 'JSON lines')
  .action(run((o) => restore(o)));

const protect = program
  .command('protect')
  .description('continuous protection: back a service up on every change, verified, with RPO as a worker metric');
temporal(
  protect
    .command('start <protect-file>')
    .description('protect the service of the spec (YAML/JSON, see docs/dr-drills.md); once per service'),
)
  .option('--update', 'replace the running protection with this spec')
  .option('--json', 'JSON output')
  .action(run((file: string, o) => protectStart(file, o)));
service(protect.command('status').description('newest verified backup, RPO of recent changes, last error'))
  .option('--json', 'JSON output')
  .action(run((o) => protectStatus(o)));
service(protect.command('stop').description('stop protecting (backups stay)')).action(run((o) => protectStop(o)));

const stack = program
  .command('stack')
  .description('the local stack (Temporal, Kubernetes with kwok GPU pools, Prometheus, registry, model world) the tests and the demo use');
const stackName = (cmd: Command) => cmd.option('--name <name>', 'the stack [$AUTOGLM_STACK or "dev"]');
// The stack tooling loads only for these commands.
const stackCommands = () => import('../infra/dev/stack/commands');
stackName(stack.command('up').description('start what is not running (installs pinned binaries into the cache once)')).action(
  run(async (o: { name?: string }) => (await stackCommands()).up(o.name)),
);
stackName(stack.command('down').description('stop everything'))
  .option('--purge', "also delete the stack's data")
  .action(run(async (o: { name?: string; purge?: boolean }) => (await stackCommands()).down(o.name, !!o.purge)));
stackName(stack.command('status').description('each component and its endpoint; exit 1 unless all are up'))
  .option('--json', 'JSON output')
  .action(run(async (o: { name?: string; json?: boolean }) => (await stackCommands()).status(o.name, !!o.json)));

const model = program.command('model').description('model weights in object storage');
model
  .command('upload <dir> <s3-uri>')
  .description(`put a model folder under s3://bucket/prefix with a manifest of every file's SHA-256 (serve it with model.source.uri)`)
  .addOption(new Option('--s3-endpoint <url>', 'an S3-compatible server (unset: AWS)').env('AUTOGLM_S3_ENDPOINT'))
  .addOption(new Option('--s3-region <region>', 'the region').env('AWS_REGION'))
  .option('--json', 'print the manifest as JSON')
  .action(run((dir: string, uri: string, o) => modelUpload(dir, uri, o)));

const webhook = program.command('webhook').description('the GitHub webhook receiver');
temporal(
  webhook
    .command('serve')
    .description('receive GitHub release events (X-Hub-Signature-256 checked with GITHUB_WEBHOOK_SECRET) and start releases'),
)
  .requiredOption('-c, --config <file>', 'YAML/JSON: repositories and the service spec each deploys (docs/github.md)')
  .option('--listen <host:port>', 'where to listen', '127.0.0.1:8080')
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
  .option('--tls-key <file>', 'and this key (PEM)')
  .action(run((o) => webhookServe(o)));

program.parseAsync(process.argv).then(
  () => process.exit(exitCode),
  (err: unknown) => {
    if (err instanceof CliError) {
      console.error(`autoglm-deploy: ${err.message}`);
      process.exit(err.exitCode);
    }
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(EXIT.ok);
    if (code?.startsWith('commander.')) process.exit(EXIT.invalid); // commander printed the reason
    console.error(`autoglm-deploy: ${(err as Error).message}`);
    process.exit(EXIT.failed);
  },
);
