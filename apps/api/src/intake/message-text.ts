import { AppError } from '../http/errors.js';

/** C0 controls but tab and newline, DEL, and the C1 block: invisible, and trouble in logs and terminals. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** With the `u` flag a surrogate only matches when unpaired: JSON's "\ud800" is not text. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A message as we store it, or a 400 `invalid_body` saying what is wrong with it. Windows and
 * HTML-form line ends (CRLF) become newlines; any other control character is refused rather
 * than silently dropped, so what is stored is exactly what the sender sees they sent.
 */
export function acceptedMessageText(raw: string): string {
  const text = raw.replaceAll('\r\n', '\n');
  const control = CONTROL.exec(text);
  if (control) {
    throw new AppError(
      'invalid_body',
      `The message contains the control character ${codePoint(control[0])} at character ${control.index}; only newline and tab are allowed.`,
    );
  }
  if (LONE_SURROGATE.test(text)) {
    throw new AppError('invalid_body', 'The message contains an unpaired UTF-16 surrogate escape, which is not text.');
  }
  return text;
}
