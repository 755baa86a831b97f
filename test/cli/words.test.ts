import { describe, expect, it } from 'vitest';
import { joinWords, splitWords } from '../../src/cli/words.js';

describe('joinWords', () => {
  it('quotes only the words that need it', () => {
    expect(joinWords(['semop', '0', '0:-1:n', '-t', '0.5'])).toBe('semop 0 0:-1:n -t 0.5');
    expect(joinWords(['ftok', '/a b', "it's", '$id', ''])).toBe(`ftok '/a b' 'it'\\''s' '$id' ''`);
  });

  it('gives back the same words through splitWords', () => {
    const words = ['a b', "'", '"', '\\', '#x', 'x#', '$HOME', '*', 'tab\there', '', 'plain-1:2,3'];
    expect(splitWords(joinWords(words))).toEqual(words);
  });
});
