# Regenerates test/tasks/mt/sacrebleu-cases.json: random segments full of 13a edge cases, tokenised
# and scored by sacreBLEU itself (2.6.0 when the file was made), so bleu.test.ts can check that
# corpusBleu agrees with it. Run from the repository root: python3 test/tasks/mt/make-sacrebleu-cases.py
import random, json
from sacrebleu.metrics import BLEU
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
tok = Tokenizer13a()
random.seed(7)
pieces = ['the','cat','sat','on','mat','a','dog','Der','Hund','über','3','1.5','3,000','5-year','--','-','.',',','!','?',"'s","don't",'&quot;','&amp;','&lt;','&gt;','"','(',')','$','%','/','@','U.S.','...','-\n','\n','\u00a0','\u3000','\x1c','\ufeff','<skipped>','é','😀','\t','x.y','a,b','1-2','.5','5.','e.g.']
def seg():
    n = random.randint(0, 12)
    out = ''
    for _ in range(n):
        out += random.choice(pieces) + random.choice([' ', ' ', '', '  '])
    return out
tokcases = [seg() for _ in range(300)]
toks = [tok(s.rstrip()).split(' ') if tok(s.rstrip()) else [] for s in tokcases]
corpora = []
for _ in range(60):
    n = random.randint(1, 6)
    refs = []
    hyps = []
    for _ in range(n):
        r = seg()
        while r == '': r = seg()
        refs.append(r)
        # hypothesis: perturb the reference
        words = r.split(' ')
        random.shuffle(words) if random.random() < 0.3 else None
        words = [w for w in words if random.random() > 0.3] + ([random.choice(pieces)] if random.random() < 0.5 else [])
        hyps.append(' '.join(words))
    b = BLEU().corpus_score(hyps, [refs])
    corpora.append({'hyps': hyps, 'refs': refs, 'score': b.score, 'counts': b.counts, 'totals': b.totals, 'sysLen': b.sys_len, 'refLen': b.ref_len, 'bp': b.bp, 'precisions': b.precisions, 'line': b.format(signature='nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp')})
json.dump({'tokens': [{'input': s, 'tokens': t} for s, t in zip(tokcases, toks)], 'corpora': corpora}, open('test/tasks/mt/sacrebleu-cases.json', 'w'), ensure_ascii=False, indent=0)
