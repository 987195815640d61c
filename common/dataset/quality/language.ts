import { forEachWordHash } from '../minhash';

/**
 * Language of a text without a model or any download: the dominant script decides where it
 * names one language (Hangul, kana, Thai, Greek, Hebrew, ...); Latin and Cyrillic text is told
 * apart by a small profile of frequent function words per language (and a few letters only one
 * language uses). Short or mixed text, and text that is mostly code or numbers, is `und`.
 */

/** Language codes (ISO 639-1, `und` undetermined) and their names. */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'English', es: 'Spanish', fr: 'French', de: 'German', it: 'Italian', pt: 'Portuguese', nl: 'Dutch', sv: 'Swedish', pl: 'Polish', tr: 'Turkish',
  id: 'Indonesian', vi: 'Vietnamese', ru: 'Russian', uk: 'Ukrainian', zh: 'Chinese', ja: 'Japanese', ko: 'Korean', ar: 'Arabic', he: 'Hebrew', el: 'Greek',
  hi: 'Hindi', bn: 'Bengali', th: 'Thai', ta: 'Tamil', ka: 'Georgian', hy: 'Armenian', und: 'undetermined',
};

/** Frequent function words, by language (no word in two lists). */
const STOP: Record<string, string> = {
  en: 'the and of to is in that it for you was with on are this be have not but what can how which there their would should about your',
  es: 'el la los las de que y en un una por con para es del se no lo al como más pero sus está este esta también cuando muy sobre',
  fr: 'le les des et est un une du dans que qui pour pas sur au avec ce il elle sont mais ou vous nous cette aux leur être fait',
  de: 'der die und das ist nicht ein eine zu den mit sich des auf für im dem ich sie es auch wie wird oder aus bei nach wenn sind',
  it: 'il di che è e la per un una del della non sono con gli le si anche come questo più nel alla ma ci ha dei delle essere',
  pt: 'o os de que e do da em um uma para com não é no na por mais as dos das ao se sua seu ou quando muito também são você',
  nl: 'de het een en van is dat op te in zijn niet met voor er maar ook als aan bij om wordt deze dit naar hij ze uit heeft',
  sv: 'och att det som en är på för med av den till inte har jag om ett var men sig så vi kan hon från eller',
  pl: 'i w nie na się jest że z do to jak ale co o przez dla tak od po jego czy są już może jej było tym',
  tr: 've bir bu da de için ile çok ne ama daha gibi olan var mı en kadar sonra ben sen o ise değil olarak',
  id: 'yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke karena ada saya bisa mereka atau sudah oleh adalah',
  ru: 'и в не на что с по как это он я его но она к из же от за для то так все бы был только или',
  uk: 'і в не на що з як це до та але від за для так він його вона ти ми чи був бути їх',
};
const LANGS = Object.keys(STOP);
/** Word hash (as forEachWordHash computes it) -> bit set of the languages whose list has the word. */
const STOP_BITS = (() => {
  const m = new Map<number, number>();
  LANGS.forEach((lang, k) => {
    for (const w of STOP[lang]!.split(' ')) forEachWordHash(w, (h) => m.set(h, (m.get(h) ?? 0) | (1 << k)));
  });
  return m;
})();

/** Scripts, as small numbers (counted in an Int32Array). */
const LATIN = 1, CYRILLIC = 2, GREEK = 3, ARABIC = 4, HEBREW = 5, DEVANAGARI = 6, BENGALI = 7, THAI = 8, TAMIL = 9, GEORGIAN = 10, ARMENIAN = 11, HANGUL = 12, KANA = 13, HAN = 14;
const SCRIPTS = 15;

/** The script of a UTF-16 unit (0: none: digits, punctuation, symbols, spaces). */
function scriptOf(c: number): number {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? LATIN : 0;
  if (c < 0x250) return c >= 0xc0 && c !== 0xd7 && c !== 0xf7 ? LATIN : 0;
  if (c >= 0x1e00 && c <= 0x1eff) return LATIN;
  if (c >= 0x370 && c <= 0x3ff) return GREEK;
  if (c >= 0x400 && c <= 0x52f) return CYRILLIC;
  if (c >= 0x530 && c <= 0x58f) return ARMENIAN;
  if (c >= 0x590 && c <= 0x5ff) return HEBREW;
  if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f)) return ARABIC;
  if (c >= 0x900 && c <= 0x97f) return DEVANAGARI;
  if (c >= 0x980 && c <= 0x9ff) return BENGALI;
  if (c >= 0xb80 && c <= 0xbff) return TAMIL;
  if (c >= 0xe00 && c <= 0xe7f) return THAI;
  if (c >= 0x10a0 && c <= 0x10ff) return GEORGIAN;
  if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0x3130 && c <= 0x318f)) return HANGUL;
  if (c >= 0x3040 && c <= 0x30ff) return KANA;
  if ((c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) return HAN;
  return 0;
}

/** Scripts that name one language. */
const BY_SCRIPT: Record<number, string> = { [GREEK]: 'el', [ARMENIAN]: 'hy', [HEBREW]: 'he', [ARABIC]: 'ar', [DEVANAGARI]: 'hi', [BENGALI]: 'bn', [TAMIL]: 'ta', [THAI]: 'th', [GEORGIAN]: 'ka', [HANGUL]: 'ko' };

/** Characters looked at per text: enough to decide, bounded cost on long records. */
const SAMPLE = 400;
/** Reused per call (no allocation per record). */
const counts = new Int32Array(SCRIPTS);

/** The language of `text` (ISO 639-1 code, or `und`). */
export function detectLanguage(text: string): string {
  const s = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  counts.fill(0);
  let letters = 0;
  let vietnamese = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // ASCII letters first: most text is mostly ASCII.
    if (c < 0x80) {
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
        counts[LATIN]!++;
        letters++;
      }
      continue;
    }
    const sc = scriptOf(c);
    if (sc === 0) continue;
    // Letters with a dot below / hook above, and đ ơ ư: written in Vietnamese only.
    if ((c >= 0x1ea0 && c <= 0x1ef9) || c === 0x111 || c === 0x110 || c === 0x1a1 || c === 0x1a0 || c === 0x1b0 || c === 0x1af) vietnamese++;
    counts[sc]!++;
    letters++;
  }
  if (letters < 12) return 'und';
  // Japanese mixes kana with Han; any real share of kana makes it Japanese.
  if (counts[KANA]! >= letters * 0.1) return 'ja';
  let top = LATIN;
  for (let k = 1; k < SCRIPTS; k++) if (counts[k]! > counts[top]!) top = k;
  if (counts[top]! < letters * 0.5) return 'und';
  if (top === HAN) return 'zh';
  const fixed = BY_SCRIPT[top];
  if (fixed) return fixed;
  if (top === CYRILLIC) return /[іїєґ]/i.test(s) ? 'uk' : /[ыэъё]/i.test(s) ? 'ru' : byStopWords(s, ['ru', 'uk']) ?? 'ru';
  // Latin: letters only one of the languages uses first, then function words.
  if (vietnamese >= 2) return 'vi';
  return byStopWords(s, undefined) ?? 'und';
}

/** The language whose function words are most frequent (at least 3 hits, and clearly ahead). */
function byStopWords(s: string, only: string[] | undefined): string | undefined {
  const scores = new Array<number>(LANGS.length).fill(0);
  let words = 0;
  forEachWordHash(s, (h) => {
    words++;
    let bits = STOP_BITS.get(h);
    if (bits === undefined) return;
    for (let k = 0; bits !== 0; k++, bits >>>= 1) if (bits & 1) scores[k]!++;
  });
  if (words < 4) return undefined;
  let best: string | undefined;
  let bestScore = 0;
  let second = 0;
  LANGS.forEach((lang, k) => {
    if (only && !only.includes(lang)) return;
    const n = scores[k]!;
    if (n > bestScore) {
      second = bestScore;
      bestScore = n;
      best = lang;
    } else if (n > second) second = n;
  });
  if (bestScore < 3 || bestScore < second * 1.3 || bestScore < words * 0.08) return undefined;
  return best;
}
