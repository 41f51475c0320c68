import type { Logger } from '../core/ports.js';
import { escapeUnprintable, escapeUnprintableLines } from '../core/text/unprintable.js';

/** Renders the Logger port on stderr: messages as lines, progress as a bar redrawn in place on a TTY. */
export function createStderrLogger(options: {
  isTty: boolean;
  verbose: boolean;
  quiet: boolean;
  write: (s: string) => void;
  /** applied to a message before it is escaped (a secret holding an escaped character is still found) */
  redact?: (s: string) => string;
}): Logger {
  const hide = options.redact ?? ((s: string): string => s);
  let lastDraw = 0;
  let drawing = false;
  const clear = (): void => {
    if (drawing) {
      options.write('\r\x1b[2K');
      drawing = false;
    }
  };
  return {
    info(message) {
      if (options.quiet) return;
      clear();
      options.write(`${escapeUnprintableLines(hide(message))}\n`);
    },
    warn(message) {
      clear();
      // one line: a warning quotes what it refused (a planted path, a file's text), and a line
      // break there must not start a line of its own
      options.write(`warning: ${escapeUnprintable(hide(message))}\n`);
    },
    debug(message) {
      if (!options.verbose) return;
      clear();
      options.write(`debug: ${escapeUnprintableLines(hide(message))}\n`);
    },
    progress(label, done, total) {
      if (!options.isTty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && (total === undefined || done < total)) return;
      lastDraw = now;
      const width = 30;
      let line: string;
      if (total !== undefined && total > 0) {
        const ratio = Math.min(1, done / total);
        const filled = Math.round(ratio * width);
        line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0)}%`;
      } else {
        line = `${label} ${done}`;
      }
      options.write(`\r\x1b[2K${escapeUnprintableLines(hide(line))}`);
      drawing = true;
    },
    progressDone() {
      clear();
    },
  };
}
