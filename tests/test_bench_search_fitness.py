"""The search benchmark scores both sides by one rule: 0.1 mAP50 + 0.9 mAP50-95 of each training's best epoch,
the tuner's read back from its iterations' results.csv (ultralytics 8.4's own tuner fitness is mAP50-95 alone, of
the last epoch with save=False)."""
from tests.perf.bench_search import MODES, best_epoch_fitness_csv

HEADER = ("epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),metrics/recall(B),"
          "metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/dfl_loss,lr/pg0,lr/pg1,lr/pg2")


def test_the_tuner_side_is_scored_on_its_best_epoch_by_the_searchs_formula(tmp_path):
    csv = tmp_path / "results.csv"
    csv.write_text(HEADER + "\n"
                   "1,1,1,1,1,0.1,0.1,0.20,0.10,1,1,1,0.01,0.01,0.01\n"
                   "2,2,1,1,1,0.5,0.5,0.80,0.50,1,1,1,0.01,0.01,0.01\n"  # the best epoch
                   "3,3,1,1,1,0.4,0.4,0.60,0.30,1,1,1,0.01,0.01,0.01\n")  # the last one, worse
    assert best_epoch_fitness_csv(csv) == round(0.1 * 0.80 + 0.9 * 0.50, 6)


def test_the_three_search_rows_are_equal_then_pruning_then_two_slots():
    assert [(m["prune"], m["slots"]) for m in MODES.values()] == [(False, 1), (True, 1), (True, 2)]
