import type { Logger } from '../../core/ports.js';

/** State the demo's steps hand on to each other; each step reads what earlier ones left. */
export interface DemoState {
  /** temporary directory holding everything the demo makes */
  readonly workDir: string;
  /** free-form values steps share, e.g. artifact paths, the provenance file, the bare remote */
  readonly values: Map<string, unknown>;
}

export interface DemoStepContext {
  readonly state: DemoState;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `demo --serve`: leave the dashboard up */
  readonly serve: boolean;
}

export interface DemoStep {
  readonly title: string;
  /** returns lines to print under the step's title */
  run(ctx: DemoStepContext): Promise<readonly string[]>;
}
