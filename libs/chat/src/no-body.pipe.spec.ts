import { NoBodyPipe } from './no-body.pipe';

describe('NoBodyPipe', () => {
  const pipe = new NoBodyPipe();

  it('passes no body and an empty one', () => {
    expect(pipe.transform(undefined)).toBeUndefined();
    expect(pipe.transform(null)).toBeUndefined();
    expect(pipe.transform({})).toBeUndefined();
  });

  it('refuses any field, naming each', () => {
    expect(() => pipe.transform({ arg: { conversationId: 'c1' }, all: true })).toThrow(
      expect.objectContaining({
        kind: 'validation',
        details: [
          { field: 'arg', message: 'arg is not a known field: this route takes no body' },
          { field: 'all', message: 'all is not a known field: this route takes no body' },
        ],
      }),
    );
    expect(() => pipe.transform('delete')).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ field: 'body' })] }),
    );
  });
});
