package demo

import (
	"context"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// demoArticle is one article of the demo's knowledge base; owner is the
// name of the owning organisation, {d} standing for 东城区.
type demoArticle struct {
	owner, question, answer, category, validTo string
	public                                     bool
}

const hotlineOrg = "北京市12345市民服务热线"

// demoKnowledge is a small knowledge base of the questions a hotline hears
// most, so that suggestions on the hotline form show something. The
// answers are illustrative, not official policy.
var demoKnowledge = []demoArticle{
	{hotlineOrg, "居住证怎么办理？", "在本市居住半年以上、有合法稳定就业或住所的，持身份证、居住登记凭证和就业或住所证明，到居住地派出所或社区服务站申领居住证，一般15个工作日内可领取。", "", "", true},
	{hotlineOrg, "高龄津贴如何申领？", "年满80周岁的本市户籍老人，由本人或家属持身份证、户口簿到户籍所在社区服务站申请高龄津贴，审核通过后按月发放到社会保障卡。", "", "", true},
	{"北京市东城区城市管理委员会", "供暖时间是什么时候？", "本市供暖季为每年11月15日至次年3月15日，遇气温偏低可提前或延长，以市政府通知为准。室温低于18℃可联系供热单位报修。", "", "", true},
	{"北京市东城区城市管理委员会", "暖气不热找谁报修？", "先检查阀门是否全开、暖气片是否需要排气；仍不热请联系小区物业或供热单位客服报修，24小时内未处理的可再次来电，由热线派单督办。", "", "", true},
	{"北京市东城区城市管理委员会", "垃圾分类投放时间是几点？", "居民小区桶站一般早6:30—9:00、晚17:30—21:00定时定点投放，厨余垃圾需破袋投放；具体时间以小区公示为准。大件垃圾和装修垃圾请预约物业清运。", "", "", true},
	{"北京市东城区城市管理综合行政执法局", "发现违法建设怎么举报？", "可拨打12345热线或在“随手拍”中上报，说明具体地址、楼层和搭建情况并附照片；城管执法部门核查后依法处理，举报人信息保密。", "", "", true},
	{"北京市东城区城市管理综合行政执法局", "占道经营、夜市噪音如何处理？", "占道经营由城管执法部门查处，夜间施工或经营噪音扰民可同时报告属地派出所；来电请记录具体位置和时段。", "", "", true},
	{"北京市东城区市场监督管理局", "买到过期食品怎么投诉？", "保留购物小票和商品，拨打12345或12315投诉，市场监管部门在7个工作日内决定是否受理。", "", "", true},
	{"北京市东城区住房和城市建设委员会", "物业费收费标准有争议怎么办？", "先查看物业服务合同和小区公示的收费标准，与物业协商；协商不成可向街道物业管理部门或住建委反映，属合同纠纷的可申请调解或诉讼。", "", "", true},
	{"北京市东城区住房和城市建设委员会", "老旧小区加装电梯如何申请？", "需本单元业主按规定比例同意并签订协议，由业主或实施主体向街道提出申请，街道组织公示后报区住建委审批，可申请财政补贴。", "", "", true},
	{"北京市东城区水务局", "家里停水了怎么查询？", "计划停水会提前在小区公告；突发停水可拨打自来水集团客服查询。楼内管道漏水属物业维修范围。", "", "", true},
	{"北京市公安局东城分局", "户口迁入需要什么材料？", "按迁入类型（投靠、购房、人才引进等）准备材料，到迁入地派出所户籍窗口办理，可先通过政务服务网查询所需材料清单。", "", "", true},
	{hotlineOrg, "城乡居民医保缴费（2025年度）", "2025年度城乡居民基本医疗保险集中缴费期已结束，未参保人员可咨询社区社保所办理补缴。", "", "2025-02-28", true},
	{hotlineOrg, "咨询类来电的答复口径", "能依据知识库直接答复的，当场答复并勾选“已直接答复”；涉及个人诉求需部门处理的，按分类派单，不得推诿。", "", "", false},
}

// LoadKnowledge writes the demo knowledge base; owners missing from the
// city fall back to the 12345 hotline.
func LoadKnowledge(ctx context.Context, s *store.Store) error {
	orgs, _, err := s.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: civic.OrgDepartment, Page: store.Page{Limit: 1000}})
	if err != nil {
		return fmt.Errorf("load demo knowledge: %w", err)
	}
	byName := map[string]int64{}
	for _, o := range orgs {
		byName[o.Name] = o.ID
	}
	for _, a := range demoKnowledge {
		id, ok := byName[a.owner]
		if !ok {
			id = byName[hotlineOrg]
		}
		art := civic.Article{Question: a.question, Answer: a.answer, CategoryCode: a.category, ValidTo: a.validTo, OrgID: id, Public: a.public}
		if _, err := s.CreateArticle(ctx, civic.System, art); err != nil {
			return fmt.Errorf("load demo knowledge %q: %w", a.question, err)
		}
	}
	return nil
}
